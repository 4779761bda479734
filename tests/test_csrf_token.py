"""The page's CSRF token (core/csrf.py): masked as Django masks it, accepted by Django's own
check, different on every page, and made by Django when there is no cookie yet."""

import re
from collections import Counter

from django.middleware.csrf import CSRF_ALLOWED_CHARS, _unmask_cipher_token
from django.test import Client, RequestFactory

from core.csrf import masked_token

from .helpers import client_for

SECRET = "abcdefghijklmnopqrstuvwxyzABCDEF"


def _request_with_cookie(secret: str = SECRET):
    request = RequestFactory().get("/")
    request.META["CSRF_COOKIE"] = secret
    return request


def test_a_masked_token_unmasks_to_the_cookie_s_secret():
    request = _request_with_cookie()
    first, second = masked_token(request), masked_token(request)
    assert first != second  # a new mask every time (BREACH)
    for token in (first, second):
        assert len(token) == 64 and set(token) <= set(CSRF_ALLOWED_CHARS)
        assert _unmask_cipher_token(token) == SECRET
    assert request.META["CSRF_COOKIE_NEEDS_UPDATE"] is True


def test_every_character_of_the_mask_is_drawn_equally():
    masks = "".join(masked_token(_request_with_cookie())[:32] for _ in range(1000))
    counts = Counter(masks)
    assert set(counts) == set(CSRF_ALLOWED_CHARS)
    # Bytes taken modulo 62 without dropping 248–255 would draw the first eight characters
    # 25 % more often than the others (~645 vs ~516 each here; chance spreads them by ~3 %).
    first = sum(counts[char] for char in CSRF_ALLOWED_CHARS[:8]) / 8
    rest = sum(counts[char] for char in CSRF_ALLOWED_CHARS[8:]) / 54
    assert 0.9 < first / rest < 1.1


def test_without_a_cookie_django_makes_one():
    request = RequestFactory().get("/")
    token = masked_token(request)
    assert _unmask_cipher_token(token) == request.META["CSRF_COOKIE"]


def test_the_token_in_a_member_s_page_is_accepted(alice, bob):
    from .helpers import make_question

    question = make_question(bob)
    client = client_for(alice)
    client.handler.enforce_csrf_checks = True
    page = client.get(question.get_absolute_url()).content.decode()
    assert "csrftoken" in client.cookies
    again = client.get(question.get_absolute_url()).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="(\w+)"', again).group(1)
    assert token not in page
    posted = client.post(
        question.get_absolute_url(),
        {"text": "Posted with the page's token.", "csrfmiddlewaretoken": token},
    )
    assert posted.status_code == 302
    refused = Client(enforce_csrf_checks=True)
    refused.cookies = client.cookies
    forged = token[:32] + ("A" if token[32] != "A" else "B") + token[33:]
    answer = {"text": "Posted with a forged token.", "csrfmiddlewaretoken": forged}
    assert refused.post(question.get_absolute_url(), answer).status_code == 403


def test_a_member_s_token_is_made_at_once_an_anonymous_reader_s_only_when_shown(alice):
    from django.contrib.auth.models import AnonymousUser
    from django.utils.functional import SimpleLazyObject

    from core.csrf import context_processor

    member = _request_with_cookie()
    member.user = alice
    token = context_processor(member)["csrf_token"]
    assert type(token) is str and _unmask_cipher_token(token) == SECRET
    reader = RequestFactory().get("/")
    reader.user = AnonymousUser()
    lazy = context_processor(reader)["csrf_token"]
    assert isinstance(lazy, SimpleLazyObject)
    assert "CSRF_COOKIE" not in reader.META  # no cookie made for a page that shows no form
    assert _unmask_cipher_token(str(lazy)) == reader.META["CSRF_COOKIE"]
