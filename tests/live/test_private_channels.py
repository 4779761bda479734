"""A member's inbox channel through real nginx in front of the app, on both comet backends:
only that member's session subscribes; another member, an anonymous client, or the same path
spelled another way gets 403 (or 400/404), never the stream."""

import pytest
import requests
from django.conf import settings
from django.test import Client

from tests.helpers import make_user

from . import fixtures

pytestmark = pytest.mark.django_db(transaction=True)

live_site = fixtures.live_site
live_static_root = fixtures.live_static_root
push_stream_site = fixtures.push_stream_site


@pytest.fixture(params=["live_site", "push_stream_site"])
def site(request):
    """The site behind each comet backend (push-stream skips without PUSH_STREAM_NGINX)."""
    return request.getfixturevalue(request.param)


def session_of(user=None) -> dict:
    if user is None:
        return {}
    client = Client()
    client.force_login(user)
    return {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value}


def subscribe(base: str, path: str, cookies: dict) -> requests.Response:
    response = requests.get(
        f"{base}{path}",
        cookies=cookies,
        headers={"Accept": "text/event-stream"},  # what a browser's EventSource sends
        stream=True,
        timeout=5,
    )
    response.close()
    return response


def test_only_the_member_s_session_subscribes_to_their_channel(site):
    alice, bob = make_user("alice"), make_user("bob")
    base = site.site_url
    own = f"/live/user-{alice.pk}"
    response = subscribe(base, own, session_of(alice))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert subscribe(base, f"{own}/questions", session_of(alice)).status_code == 200

    for cookies in (session_of(), session_of(bob)):  # a stranger, another member
        for path in (
            own,
            f"{own}/questions",  # public channels after it do not open it
            f"/live/%75ser-{alice.pk}",  # nginx decodes before it picks a location
            f"/live/user-%{ord(str(alice.pk)[0]):x}{str(alice.pk)[1:]}",
            f"//live/user-{alice.pk}",  # and merges slashes
        ):
            status = subscribe(base, path, cookies).status_code
            assert status in (400, 403, 404), (path, status)
