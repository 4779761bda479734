"""The site generation: a value in the cache that moves whenever anything a page shows may have
changed, so the parts of pages that are the same for every viewer (qa.fragments.shared_parts)
can be kept whole under it and never served once stale.

It moves
- after every request with an unsafe method that wrote to the database (SiteChangedMiddleware:
  an answer, a vote, an edit, a comment, a moderator's action, the admin — whatever the view),
- when a model of the site's own apps is saved or deleted outside a request (a task, the
  shell, the admin's bulk actions go through requests anyway): the signals below,
- by hand in commands that write in bulk (fill_db, render_posts, reputation_recompute).

It is read before the database, and moved after commit (a page rendered from older rows is
stored under the old value, which nobody reads again). It also moves before commit for a model
saved inside a transaction, which only makes a page render once more.

The value is random, not a counter: two writers that read the same counter at once would both
write the same next value, and the second write would change nothing.
"""

import secrets

from django.apps import apps
from django.core.cache import cache
from django.db import connections, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpRequest, HttpResponse

GENERATION_KEY = "site:generation"

# The apps whose rows pages show (posts, votes, tags, members and their profiles, flags).
SHOWN_APPS = ("qa", "accounts", "community", "auth")

_WRITES = ("INSERT", "UPDATE", "DELETE", "WITH", "REPLACE", "MERGE", "TRUNCATE")
_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def site_generation() -> str:
    """The current generation; a new one if the cache lost it (evicted, restarted, down)."""
    try:
        generation = cache.get(GENERATION_KEY)
        if generation is None:
            cache.add(GENERATION_KEY, secrets.token_hex(8), None)
            generation = cache.get(GENERATION_KEY)
    except Exception:  # noqa: BLE001 — a cache that cannot answer: nothing shared is read
        generation = None
    return generation or "none"


def site_changed() -> None:
    """Every shared part of every page is stale from now on."""
    try:
        cache.set(GENERATION_KEY, secrets.token_hex(8), None)
    except Exception:  # noqa: BLE001 — the parts' TTL bounds how long they stay
        pass


class SiteChangedMiddleware:
    """Moves the site generation after a POST (PUT, PATCH, DELETE) that wrote to the database.

    Outermost, so its check runs after the view's transaction committed and after the session
    was saved. Requests that wrote nothing (a refused form, a throttled vote, "… is writing an
    answer") leave the shared parts alone, so a busy page is not rendered again for each.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in _UNSAFE:
            return self.get_response(request)
        wrote = False

        def watch(execute, sql, params, many, context):
            nonlocal wrote
            if not wrote and sql.lstrip()[:8].upper().startswith(_WRITES):
                wrote = True
            return execute(sql, params, many, context)

        with connections["default"].execute_wrapper(watch):
            response = self.get_response(request)
        if wrote:
            site_changed()
        return response


def _model_written(sender, **kwargs) -> None:
    site_changed()
    connection = transaction.get_connection()
    # Once more after commit, scheduled once a transaction (a bulk delete sends a signal a row).
    if connection.in_atomic_block and not any(
        entry[1] is site_changed for entry in connection.run_on_commit
    ):
        transaction.on_commit(site_changed)


def connect_signals() -> None:
    """Called once by core.apps: every model of SHOWN_APPS moves the generation when written."""
    for label in SHOWN_APPS:
        for model in apps.get_app_config(label).get_models():
            post_save.connect(_model_written, sender=model, dispatch_uid=f"site:{model}")
            post_delete.connect(_model_written, sender=model, dispatch_uid=f"site-d:{model}")
            for field in model._meta.local_many_to_many:  # a question's tags
                through = field.remote_field.through
                m2m_changed.connect(_model_written, sender=through, dispatch_uid=f"site:{through}")
