from axes.backends import AxesStandaloneBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from core.sql import JoinedGet

from .sessions import joined_user

UserModel = get_user_model()


class LoginLockoutBackend(AxesStandaloneBackend):
    """django-axes' lockout check for logins made through the site.

    authenticate() without a request (the shell, a script, the test client's login()) is not a
    web login: axes would raise for it, and there is no client address to throttle.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def axes_username(request, credentials: dict) -> str:
    """AXES_USERNAME_CALLABLE: the username a failure is counted against, cut to what a username
    can be (150): any login form (ours, the admin's) may post a longer one, and axes stores it
    in a 255-character column (a 500 on PostgreSQL)."""
    return str((credentials or {}).get("username") or "")[:150]


class SessionUserBackend(ModelBackend):
    """The member of a session with their profile: every page's navbar shows the name, avatar
    and unread count. Read with the session itself (accounts.sessions), or else in one query
    written once per process (core.sql): built by the ORM on every page it cost ~1 ms of CPU,
    seven times what running it costs.

    It checks no password (`authenticate` is ModelBackend's, listed after it, so a wrong
    password is hashed once); the site's logins name it as the session's backend. Sessions made
    before it name ModelBackend, which stays listed, so they stay valid.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        return None

    def get_user(self, user_id):
        try:
            user_id = UserModel._meta.pk.to_python(user_id)
        except Exception:  # noqa: BLE001 — a session holding no valid id has no user
            return None
        # Read with the session already (accounts.sessions), else here.
        user = joined_user(user_id) or _USER_WITH_PROFILE.get(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


_USER_WITH_PROFILE = JoinedGet(UserModel, "profile")


SESSION_BACKEND = "accounts.backends.SessionUserBackend"
