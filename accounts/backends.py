from axes.backends import AxesStandaloneBackend


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
