"""A URL conf where members' pages live elsewhere (tests/test_kept_urls.py)."""

from django.http import HttpResponse
from django.urls import path


def member(request, username: str) -> HttpResponse:
    return HttpResponse(username)


urlpatterns = [path("people/<str:username>/", member, name="user")]
