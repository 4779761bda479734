"""SESSION_ENGINE: Django's database sessions, whose rows also name their member (accounts.models
.Session), read with that member and their profile in one statement.

Every page a member opens reads their session, then their user and profile (the navbar shows
the name, avatar and unread count): two round trips to the database on every page, and Django's
engine built its query with the ORM each time (~0.6 ms of CPU). Here one statement written once
per process (core.sql.JoinedGet) reads all three; the member it found waits for the session's
backend (accounts.backends.SessionUserBackend), which takes it instead of reading it again.
Writes, expiry and `clearsessions` are Django's. Sessions stay in the database, not the cache: a
logout must end the session even when the cache refuses the delete.

Each worker keeps the rows that statement returned until the site generation moves (any write to
a shown table or to a session: core.generation.KeptUnderGeneration), and makes the session, the
member and their profile afresh from them: between two writes a member's pages read nothing from
the database (the statement and its round trip were ~20 % of a question page's CPU, the
database's included). The expiry is checked on every read, as before; a logout deletes the
session's row, which moves the generation, so no worker lets the cookie in again (each copy
lives 10 s at most, for a cache that refused that write); nothing is kept while the cache
cannot answer (no generation).

A page that needs more of the member's own rows (the question page: their votes on it) can
have them read in the same statement, when the session is read inside `read_along()`.
"""

import contextlib
import contextvars
import functools
import logging
from collections.abc import Callable, Iterator

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends import db
from django.core.exceptions import SuspiciousOperation
from django.utils import timezone

from core.generation import KeptUnderGeneration
from core.sql import JoinedGet

# (user id, user with profile) read with this request's session; taken once by the backend.
_joined_user: contextvars.ContextVar[tuple | None] = contextvars.ContextVar(
    "joined_user", default=None
)


class ReadAlong:
    """Rows of the session's member to read in the session's own statement: `build(member,
    member_params)` returns a SELECT of `width` columns and its parameters, where `member` is
    an SQL expression for the member's id (with `member_params`). Once the session is read
    inside `read_along(self)`, `rows` holds its rows and `member_id` the member they were read
    for; both stay None when the session was not read there (read before, no session)."""

    def __init__(self, build: Callable[[str, list], tuple[str, list]], width: int) -> None:
        self.build = build
        self.width = width
        self.rows: list[tuple] | None = None
        self.member_id: int | None = None


_read_along: contextvars.ContextVar[ReadAlong | None] = contextvars.ContextVar(
    "read_along", default=None
)


@contextlib.contextmanager
def read_along(along: ReadAlong) -> Iterator[ReadAlong]:
    """Within this block, a read of the session also reads `along`'s rows."""
    token = _read_along.set(along)
    try:
        yield along
    finally:
        _read_along.reset(token)


# A session's data as the database holds it (signed, compressed JSON) → the JSON it verified to.
_verified: dict[str, bytes] = {}
_VERIFIED_MAX = 10_000  # sessions a worker has seen since its start; ~3 MB at most


class _Keeping:
    """The session's serializer, for signing.loads(), noting the bytes it parsed: those that
    passed the signature (parsed only after it) and parsed."""

    def __init__(self, serializer) -> None:
        self.serializer = serializer
        self.data: bytes | None = None

    def __call__(self) -> "_Keeping":  # signing makes its serializer by calling it
        return self

    def loads(self, data: bytes):
        value = self.serializer().loads(data)
        self.data = data
        return value


class SessionStore(db.SessionStore):
    def __init__(self, session_key=None):
        # A new store is a new request (SessionMiddleware): nothing read for another one may
        # be taken for this one.
        _joined_user.set(None)
        super().__init__(session_key)

    @classmethod
    def get_model_class(cls):
        from .models import Session

        return Session

    def create_model_instance(self, data):
        session = super().create_model_instance(data)
        try:
            session.user_id = int(data[SESSION_KEY])
        except (KeyError, TypeError, ValueError):
            session.user_id = None
        return session

    def decode(self, session_data):
        """Django's decode, verified once per worker: the HMAC of a session's data (salted,
        so two SHA-256 runs), its base64 and zlib cost ~13 µs on every page a member opens,
        for a string that changes only when the session is written. The same string verifies
        the same every time, so the JSON it verified to is kept under it and parsed afresh (a
        new dict on every page: nothing a request changes reaches the next)."""
        data = _verified.get(session_data)
        if data is not None:
            return self.serializer().loads(data)
        keeping = _Keeping(self.serializer)
        self.serializer = keeping
        try:
            session = super().decode(session_data)
        finally:
            self.serializer = keeping.serializer
        if keeping.data is not None:
            if len(_verified) >= _VERIFIED_MAX:
                _verified.clear()
            _verified[session_data] = keeping.data
        return session

    def _get_session_from_db(self):
        along, rows = _read_along.get(), None
        try:
            if along is None:
                session = _session_with_user().get(self.session_key)
            else:
                sql, params = along.build(_member_of_session(), [self.session_key])
                session, rows = _session_with_user().get_along(
                    self.session_key, sql, params, along.width
                )
        except SuspiciousOperation as error:  # as Django's engine: logged, no session
            logger = logging.getLogger(f"django.security.{error.__class__.__name__}")
            logger.warning(str(error))
            session = None
        if session is None or session.expire_date <= timezone.now():
            self._session_key = None
            return None
        # The member, when the join found one (never read here: a member gone since is read,
        # and refused, by the backend as before).
        joined = type(session).user.is_cached(session) and session.user is not None
        _joined_user.set((session.user.pk, session.user) if joined else None)
        if along is not None and session.user_id is not None:
            along.rows, along.member_id = rows, session.user_id
        return session


def joined_user(user_id):
    """The member read with this request's session, if it is `user_id`'s (once: a second call
    reads again)."""
    joined = _joined_user.get()
    if joined is None or joined[0] != user_id:
        return None
    _joined_user.set(None)
    return joined[1]


@functools.cache
def _member_of_session() -> str:
    """SQL: the id of the member whose session key is the (one) parameter."""
    from django.db import connections, router

    from .models import Session

    quote = connections[router.db_for_read(Session)].ops.quote_name
    return (
        f"(SELECT {quote(Session._meta.get_field('user').column)} "
        f"FROM {quote(Session._meta.db_table)} WHERE {quote('session_key')} = %s)"
    )


@functools.cache
def _session_with_user() -> JoinedGet:
    # Made at the first read, not at import: the models are ready only once the engine is used.
    from .models import Session

    return JoinedGet(Session, "user__profile", by="session_key", kept=_KEPT)


# A worker's sessions as read (with their member and the rows read along), until the next write
# to a shown table or to a session (core.generation): a member's pages between two writes read
# nothing from the database. Each entry is a session's row, its member's, their profile's and a
# page's votes (~1–2 KB): 5,000 at most, 10 s each at most (a logout whose generation the cache
# refused to move still ends the session in every worker within that time).
_KEPT = KeptUnderGeneration(5_000, max_age=10.0)
