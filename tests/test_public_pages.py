"""Which responses Django lets nginx share among anonymous readers (core/decorators.py
public_page; nginx's side: tests/live/test_public_page_cache.py): the public pages, only for an
anonymous GET that sets no cookie, and none of them sets a cookie for an anonymous reader."""

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage

from tests.helpers import client_for, csrf_post, make_answer, make_question

PUBLIC = ("/", "/hot/", "/unanswered/", "/tag/python/", "/user/alice/", "/?page=2")


def test_anonymous_public_pages_set_no_cookie_and_may_be_shared(alice, bob):
    question = make_question(alice, tags=["python"])
    make_answer(question, bob)
    client = client_for()
    for path in (*PUBLIC, question.get_absolute_url()):
        response = client.get(path)
        assert response.status_code == 200, path
        assert not response.cookies, (path, response.cookies)
        assert response["X-Accel-Expires"] == str(settings.PUBLIC_PAGE_SECONDS), path


def test_members_pages_errors_and_forms_are_never_shared(alice, bob, settings):
    question = make_question(alice, tags=["python"])
    member = client_for(bob)
    for path in (*PUBLIC, question.get_absolute_url()):
        assert "X-Accel-Expires" not in member.get(path), path
    anonymous = client_for()
    for path in ("/question/999999/", "/user/nobody/", "/login/", "/signup/", "/search/?q=x"):
        assert "X-Accel-Expires" not in anonymous.get(path), path
    # A form posted with errors (its page holds what was typed) is not a public page either.
    response = csrf_post(member, question.get_absolute_url(), {"text": ""})
    assert response.status_code == 400 and "X-Accel-Expires" not in response
    settings.PUBLIC_PAGE_SECONDS = 0
    assert "X-Accel-Expires" not in anonymous.get("/")


def test_nginx_bypasses_the_cache_by_django_s_own_cookie_names():
    # deploy/nginx/common/public.conf names them; renaming one in settings would serve members
    # cached anonymous pages.
    conf = (settings.BASE_DIR / "deploy/nginx/common/public.conf").read_text()
    assert settings.SESSION_COOKIE_NAME == "sessionid" and "$cookie_sessionid" in conf
    assert settings.LANGUAGE_COOKIE_NAME == "django_language"
    assert "$cookie_django_language" in conf
    assert CookieStorage.cookie_name == "messages" and "$cookie_messages" in conf


def _every_url_pattern(patterns, prefix=""):
    from django.urls import URLPattern

    for entry in patterns:
        if isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback
        else:
            yield from _every_url_pattern(entry.url_patterns, prefix + str(entry.pattern))


def test_nginx_looks_up_public_paths_for_exactly_the_public_views():
    """core/public_paths.py, which nginx's cache lookup is rendered with, agrees with the URL
    conf: every URL of a view marked public_page matches it, every other URL does not (those
    would wait on the cache lock for nothing)."""
    import re

    from django.urls import get_resolver

    from core.public_paths import PUBLIC_PAGE_RE

    samples = {"int": "42", "str": "alice", "slug": "a-b", "path": "a/b", "uuid": "0" * 32}
    public = other = 0
    for route, view in _every_url_pattern(get_resolver().url_patterns):
        if route.startswith("^") or route.startswith("admin/"):  # regex routes: the admin's
            path = "/admin/"
        else:
            path = "/" + re.sub(r"<(?:(\w+):)?\w+>", lambda m: samples[m[1] or "str"], route)
        if getattr(view, "is_public_page", False):
            public += 1
            assert PUBLIC_PAGE_RE.match(path), path
        else:
            other += 1
            assert not PUBLIC_PAGE_RE.match(path), path
    assert public == 6 and other > 40
