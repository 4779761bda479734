"""SESSION_ENGINE: Django's database sessions, whose rows also name their member (accounts.models
.Session), read with that member and their profile in one statement.

Every page a member opens reads their session, then their user and profile (the navbar shows
the name, avatar and unread count): two round trips to the database on every page, and Django's
engine built its query with the ORM each time (~0.6 ms of CPU). Here one statement written once
per process (core.sql.JoinedGet) reads all three; the member it found waits for the session's
backend (accounts.backends.SessionUserBackend), which takes it instead of reading it again.
Writes, expiry and `clearsessions` are Django's. Sessions stay in the database, not the cache: a
logout must end the session even when the cache refuses the delete.
"""

import contextvars
import logging

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends import db
from django.core.exceptions import SuspiciousOperation
from django.utils import timezone

from core.sql import JoinedGet

# (user id, user with profile) read with this request's session; taken once by the backend.
_joined_user: contextvars.ContextVar[tuple | None] = contextvars.ContextVar(
    "joined_user", default=None
)


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

    def _get_session_from_db(self):
        try:
            session = _session_with_user().get(self.session_key)
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
        return session


def joined_user(user_id):
    """The member read with this request's session, if it is `user_id`'s (once: a second call
    reads again)."""
    joined = _joined_user.get()
    if joined is None or joined[0] != user_id:
        return None
    _joined_user.set(None)
    return joined[1]


_SESSION_WITH_USER: list[JoinedGet] = []


def _session_with_user() -> JoinedGet:
    if not _SESSION_WITH_USER:  # the models are ready only once the engine is used
        from .models import Session

        _SESSION_WITH_USER.append(JoinedGet(Session, "user__profile", by="session_key"))
    return _SESSION_WITH_USER[0]
