"""The site generation: a value in the cache that moves whenever anything a page shows may have
changed, so the parts of pages that are the same for every viewer (qa.fragments.shared_parts)
can be kept whole under it and never served once stale; and each worker keeps what it read of a
member's session (KeptUnderGeneration) only as long as it stays the same.

It moves on every statement that writes a table pages show (posts, votes, tags, members and
their profiles, flags) or a session, whoever runs it: a view, a service's `.update()`, a task,
a command, the admin, the shell. Each database connection runs its statements through `_watch`
(installed when the connection is made), which looks at the first word of the SQL only, and at
the table's name for writes. Bulk loads that bypass SQL statements (COPY) move it by hand (fill_db).

It is read before the database, and moved after commit (a page rendered from older rows is
stored under the old value, which nobody reads again). Inside a transaction it also moves at the
first write, and at any later write if this process read it since: that only makes a page
render once more, and it is what a test (one transaction, never committed) sees.

The value is random, not a counter: two writers that read the same counter at once would both
write the same next value, and the second write would change nothing.

A request reads it from the cache once: later reads in the same request (the page's parts, then
the sidebar) take that value again, unless this process moved it since. A page is then made
under one generation throughout, as if read once at its start.
"""

import contextvars
import functools
import re
import secrets
import time

from django.apps import apps
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db.backends.signals import connection_created

from core.localcache import LocalCache

GENERATION_KEY = "site:generation"

# The apps whose rows pages show (posts, votes, tags, members and their profiles, flags), and
# the sessions (accounts.session): each worker keeps the rows it read with a session under the
# generation (KeptUnderGeneration), so a logout, which deletes only the session's row, must
# end it in every worker at once. A login moves it anyway (it writes the member's last_login).
SHOWN_APPS = ("qa", "accounts", "community", "auth")

_WRITES = ("INSERT", "UPDATE", "DELETE", "insert", "update", "delete")
_TABLE = re.compile(r'\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+["`]?(\w+)', re.IGNORECASE)

_read_since_moved = True  # this process read the generation after it last moved it

# This request's generation, once read: _UNREAD inside a request before the first read (or
# after this process moved it), _OUTSIDE outside any request (a task, a command: every read
# asks the cache).
_UNREAD, _OUTSIDE = object(), object()
_this_request: contextvars.ContextVar = contextvars.ContextVar("site_generation", default=_OUTSIDE)


def site_generation() -> str | None:
    """The current generation; a new one if the cache lost it (evicted, restarted). None when
    the cache cannot answer: nothing may then be kept, since no write could move it."""
    global _read_since_moved
    _read_since_moved = True
    read = _this_request.get()
    if read is not _UNREAD and read is not _OUTSIDE:
        return read
    try:
        generation = cache.get(GENERATION_KEY)
        if generation is None:
            cache.add(GENERATION_KEY, secrets.token_hex(8), None)
            generation = cache.get(GENERATION_KEY)
    except Exception:  # noqa: BLE001 — a cache that cannot answer: nothing shared is read
        generation = None
    if read is _UNREAD:
        _this_request.set(generation or None)
    return generation or None


def site_changed() -> None:
    """Every shared part of every page is stale from now on."""
    global _read_since_moved
    _read_since_moved = False
    if _this_request.get() is not _OUTSIDE:
        _this_request.set(_UNREAD)  # this request reads the new one
    try:
        cache.set(GENERATION_KEY, secrets.token_hex(8), None)
    except Exception:  # noqa: BLE001 — the parts' TTL bounds how long they stay
        pass


@functools.cache
def shown_tables() -> frozenset[str]:
    return frozenset(
        model._meta.db_table
        for label in SHOWN_APPS
        for model in apps.get_app_config(label).get_models(include_auto_created=True)
    )


def _written(sql: str) -> bool:
    found = _TABLE.match(sql)
    return found is not None and found.group(1) in shown_tables()


def _watch(execute, sql, params, many, context):
    result = execute(sql, params, many, context)
    if sql.lstrip().startswith(_WRITES) and _written(sql):
        connection = context["connection"]
        if not connection.in_atomic_block:  # committed already
            site_changed()
        elif not _written_uncommitted(connection):
            site_changed()
            connection.on_commit(site_changed)
        elif _read_since_moved:
            site_changed()
    return result


def _written_uncommitted(connection) -> bool:
    """Whether this connection's open transaction wrote a shown table (rows it reads may be
    rolled back: never kept)."""
    return connection.in_atomic_block and any(
        entry[1] is site_changed for entry in connection.run_on_commit
    )


class KeptUnderGeneration:
    """Rows this process read, kept while the site generation is still the one read before
    them: any write to a table pages show (or to a session) moves it, so a kept row is never
    older than the database's. For reads that run on every page and change only with such a
    write (a member's session with their user and profile): between two writes a worker
    answers them from memory, with no round trip to the database.

    `lookup(key)` returns (the rows kept, or None; the generation to `keep` rows read now
    under). Nothing is kept while the cache cannot answer (no generation), nor rows read by a
    transaction that has written. At most `max_entries` are held (core.localcache: the least
    recently used go first), each for `max_age` seconds at most: the bound on a copy's age
    when a write could not move the generation (site_changed() found the cache refusing the
    write, but answering reads).
    """

    def __init__(self, max_entries: int, max_age: float) -> None:
        self.max_age = max_age
        # Keyed by (generation, key): an entry of an older generation is never found again, and
        # goes as the least recently used.
        self._kept = LocalCache(max_entries)

    def lookup(self, key) -> tuple[object | None, str | None]:
        generation = site_generation()
        if generation is None:
            return None, None
        return self._kept.get((generation, key)), generation

    def keep(self, key, rows, generation: str | None, connection) -> None:
        if generation is None or _written_uncommitted(connection):
            return
        self._kept.set((generation, key), rows, time.time() + self.max_age)


def _install(sender, connection, **kwargs) -> None:
    if _watch not in connection.execute_wrappers:
        connection.execute_wrappers.append(_watch)


def _request_started(sender, **kwargs) -> None:
    _this_request.set(_UNREAD)


def _request_finished(sender, **kwargs) -> None:
    _this_request.set(_OUTSIDE)


def install() -> None:
    """Called once by core.apps: every database connection made from now on is watched, and
    every request reads the generation once."""
    connection_created.connect(_install, dispatch_uid="core.generation")
    request_started.connect(_request_started, dispatch_uid="core.generation")
    request_finished.connect(_request_finished, dispatch_uid="core.generation")
