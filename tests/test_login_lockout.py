"""Failed logins are throttled per account and per client address (django-axes).

Before: 200 wrong passwords in 67 s were all answered and the right one then worked.
"""

import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.db.models import F
from django.test import RequestFactory

from core.throttle import client_ip

from .helpers import client_for, csrf_post, make_user

pytestmark = pytest.mark.django_db
LIMIT = 10  # settings.AXES_FAILURE_LIMIT
RIGHT = "pass-word-123"


def log_in(username, password, address="10.0.0.1", client=None):
    client = client or client_for()
    response = csrf_post(
        client, "/login/", {"username": username, "password": password}, REMOTE_ADDR=address
    )
    return response, client


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def time_passes(minutes: int) -> None:
    """Age every recorded failure, as the clock would."""
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=minutes))


def test_200_wrong_passwords_lock_the_account_until_the_cool_off(alice, bob):
    statuses = [log_in("alice", f"guess-{i}")[0].status_code for i in range(200)]
    assert statuses == [400] * (LIMIT - 1) + [429] * (200 - LIMIT + 1)

    response, client = log_in("alice", RIGHT)
    body = response.content.decode()
    assert response.status_code == 429 and not logged_in(client)
    assert "Too many failed log-in attempts" in body and "paused for 15 minutes" in body
    assert 'value="alice"' in body  # the form keeps the username
    assert int(response["Retry-After"]) == 15 * 60
    assert client.get("/").status_code == 200  # the rest of the site works

    response, client = log_in("bob", RIGHT, address="10.0.0.2")
    assert response.status_code == 302 and logged_in(client)

    time_passes(14)
    assert log_in("alice", RIGHT, address="10.0.0.3")[0].status_code == 429
    time_passes(2)
    response, client = log_in("alice", RIGHT)
    assert response.status_code == 302 and logged_in(client)


def test_failures_while_locked_do_not_extend_the_lockout(alice):
    """Else an attacker could keep a victim locked out for ever by failing now and then."""
    for i in range(LIMIT):
        log_in("alice", f"guess-{i}")
    time_passes(10)
    for i in range(50):
        assert log_in("alice", f"more-{i}", address=f"10.1.0.{i}")[0].status_code == 429
    time_passes(6)
    assert log_in("alice", RIGHT)[0].status_code == 302


def test_one_address_guessing_many_accounts_is_locked(alice):
    for i in range(LIMIT):
        assert log_in(f"someone{i}", "guess", address="10.0.0.9")[0].status_code in (400, 429)
    assert log_in("alice", RIGHT, address="10.0.0.9")[0].status_code == 429
    assert log_in("alice", RIGHT, address="10.0.0.10")[0].status_code == 302


def test_lockout_says_the_same_for_an_account_that_does_not_exist(alice):
    for name in ("alice", "nobody"):
        for i in range(LIMIT):
            log_in(name, f"guess-{i}", address=f"10.2.0.{len(name)}")
    real = log_in("alice", "x", address="10.3.0.1")[0]
    fake = log_in("nobody", "x", address="10.3.0.2")[0]
    assert real.status_code == fake.status_code == 429

    def page(response, name):
        body = re.sub(r'name="csrfmiddlewaretoken" value="\w+"', "", response.content.decode())
        return body.replace(name, "NAME")

    assert page(real, "alice") == page(fake, "nobody")
    wrong = log_in("bob", "x", address="10.3.0.3")[0].content.decode()
    assert "Please enter a correct username and password" in wrong  # never "no such user"


def test_a_successful_login_clears_that_accounts_failures(alice):
    for i in range(LIMIT - 1):
        log_in("alice", f"guess-{i}", address="10.0.0.1")
    assert log_in("alice", RIGHT, address="10.0.0.2")[0].status_code == 302
    for i in range(LIMIT - 1):
        assert log_in("alice", f"again-{i}", address="10.0.0.3")[0].status_code == 400


def test_logging_into_ones_own_account_does_not_clear_guesses_at_another(alice):
    """axes' AXES_RESET_ON_SUCCESS would clear every failure from the address, victim's too."""
    make_user("mallory")
    for i in range(LIMIT - 1):
        log_in("alice", f"guess-{i}", address="10.6.6.6")
    assert log_in("mallory", RIGHT, address="10.6.6.6")[0].status_code == 302
    assert log_in("alice", "one-more", address="10.6.6.6")[0].status_code == 429


@pytest.mark.parametrize(
    "remote,forwarded,expected",
    [
        ("10.0.0.7", "", "10.0.0.7"),
        ("10.0.0.7", "1.2.3.4", "10.0.0.7"),  # not from our proxy: the header is ignored
        ("127.0.0.1", "203.0.113.5", "203.0.113.5"),  # from our nginx
        ("127.0.0.1", "6.6.6.6, 203.0.113.5", "203.0.113.5"),  # the client forged the first
        ("127.0.0.1", "evil, 203.0.113.5", "203.0.113.5"),
        ("127.0.0.1", "", "127.0.0.1"),
        ("", "203.0.113.5", "203.0.113.5"),  # gunicorn on a unix socket
        ("", "", "unknown"),
    ],
)
def test_client_address(remote, forwarded, expected):
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_lockout_follows_the_forwarded_address_behind_nginx(alice):
    """Behind nginx every request comes from 127.0.0.1: that must not lock out everyone."""
    for i in range(LIMIT):
        csrf_post(
            client_for(),
            "/login/",
            {"username": f"x{i}", "password": "guess"},
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR="198.51.100.1",
        )
    other = csrf_post(
        client_for(),
        "/login/",
        {"username": "alice", "password": RIGHT},
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="198.51.100.2",
    )
    assert other.status_code == 302
    same = csrf_post(
        client_for(),
        "/login/",
        {"username": "alice", "password": RIGHT},
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="198.51.100.1",
    )
    assert same.status_code == 429
