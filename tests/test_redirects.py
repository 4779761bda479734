"""`?continue=` / `?next=` on login, signup, logout: a local path or the front page, never a 500."""

from urllib.parse import quote

import pytest
from django.contrib.auth import get_user_model

from .helpers import client_for, csrf_post

pytestmark = pytest.mark.django_db
User = get_user_model()

REFUSED = [
    "x",  # redirect() resolves a bare word as a URL name: NoReverseMatch, a 500
    "index",  # a URL name: must not be reversed either
    "hot",  # …nor this one, which would have led to /hot/
    "http://evil.example/",
    "https://evil.example/x",
    "//evil.example",
    "/\\evil.example",
    "javascript:alert(1)",
    "\t/x",
    "/x\r\nSet-Cookie: a=b",
    "/\x00",
    "",
]
KEPT = "/question/1/?page=2#a"


def login(client, key, target):
    return csrf_post(
        client, "/login/", {"username": "alice", "password": "pass-word-123", key: target}
    )


def signup(client, key, target):
    data = {
        "username": "dave",
        "email": "dave@example.com",
        "password1": "a-long-pass-phrase",
        "password2": "a-long-pass-phrase",
        key: target,
    }
    return csrf_post(client, "/signup/", data)


def logout(client, key, target):
    return csrf_post(client, "/logout/", {key: target})


@pytest.mark.parametrize("key", ["continue", "next"])
@pytest.mark.parametrize("target", REFUSED)
def test_login_with_a_bad_target_logs_in_and_goes_home(alice, key, target):
    client = client_for()
    response = login(client, key, target)
    assert response.status_code == 302 and response["Location"] == "/"
    assert int(client.session["_auth_user_id"]) == alice.pk


@pytest.mark.parametrize("key", ["continue", "next"])
@pytest.mark.parametrize("target", REFUSED)
def test_signup_with_a_bad_target_goes_home(db, key, target):
    client = client_for()
    response = signup(client, key, target)
    assert response.status_code == 302 and response["Location"] == "/"
    assert int(client.session["_auth_user_id"]) == User.objects.get(username="dave").pk


@pytest.mark.parametrize("key", ["continue", "next"])
@pytest.mark.parametrize("target", REFUSED)
def test_logout_with_a_bad_target_goes_home(alice, key, target):
    client = client_for(alice)
    response = logout(client, key, target)
    assert response.status_code == 302 and response["Location"] == "/"
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("action", [login, signup])
def test_a_local_path_is_kept_with_its_query_and_fragment(alice, action):
    response = action(client_for(), "continue", KEPT)
    assert response.status_code == 302 and response["Location"] == KEPT


def test_logout_keeps_a_local_path(alice):
    response = logout(client_for(alice), "next", KEPT)
    assert response.status_code == 302 and response["Location"] == KEPT


@pytest.mark.parametrize("target", REFUSED)
def test_forms_never_carry_a_bad_target(db, target):
    """The hidden `continue` field holds what we would redirect to, so a refused target is gone."""
    for page in ("/login/", "/signup/"):
        body = client_for().get(f"{page}?continue={quote(target)}").content.decode()
        assert 'name="continue" value="/"' in body
