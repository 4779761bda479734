"""Django's AuthenticationMiddleware, whose lazy request.user gives way to the user once read."""

from functools import partial

from django.contrib.auth.middleware import AuthenticationMiddleware as DjangoMiddleware
from django.contrib.auth.middleware import auser, get_user
from django.utils.functional import SimpleLazyObject


class AuthenticationMiddleware(DjangoMiddleware):
    """request.user stays lazy until something reads it (a page that reads the member with its
    own rows, as the question page does with the member's votes, reads the session then:
    accounts.sessions.read_along), then it is the user itself. Through Django's lazy proxy
    every attribute of the user is looked up twice, after a failed lookup on the proxy (an
    exception each): a member's page reads a dozen of them."""

    def process_request(self, request):
        if not hasattr(request, "session"):
            return super().process_request(request)  # Django's ImproperlyConfigured

        def read() -> object:
            user = get_user(request)  # Django's: kept as request._cached_user too
            request.user = user  # the proxy stays valid for whoever holds it
            return user

        request.user = SimpleLazyObject(read)
        request.auser = partial(auser, request)
        return None
