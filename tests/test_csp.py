"""Every page carries a Content-Security-Policy that allows only our own files (issue 11, 10)."""

import pytest

from tests.helpers import client_for, make_answer, make_question


def directives(header: str) -> dict[str, list[str]]:
    parts = (part.strip().split() for part in header.split(";") if part.strip())
    return {name: values for name, *values in parts}


@pytest.mark.parametrize(
    "path,member",
    [
        ("/", False),
        ("/hot/", False),
        ("/tag/python/", False),
        ("/question/{id}/", False),
        ("/question/{id}/", True),
        ("/ask/", True),
        ("/login/", False),
        ("/signup/", False),
        ("/profile/edit/", True),
        ("/user/alice/", False),
        ("/search/?q=list", False),
        ("/question/999999/", False),  # the 404 page too
    ],
)
def test_pages_send_a_strict_policy(alice, bob, path, member):
    question = make_question(alice, tags=["python"])
    make_answer(question, bob)
    response = client_for(bob if member else None).get(path.format(id=question.pk))
    assert response.status_code in (200, 404)
    policy = directives(response["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]  # no inline script, no eval
    assert policy["style-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]  # uploads are same-origin; Bootstrap icons
    assert policy["connect-src"] == ["'self'"]  # fetch and EventSource
    assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"] and policy["form-action"] == ["'self'"]


def test_json_endpoints_carry_it_too(alice):
    response = client_for().get("/search/suggest/?q=li")
    assert response.status_code == 200
    assert "default-src 'self'" in response["Content-Security-Policy"]


# core.csp: the site's policy is built once per process; responses with their own go to django-csp.


def _through(middleware_class, view, path="/x/"):
    from django.test import RequestFactory

    request = RequestFactory().get(path)
    middleware = middleware_class(view)
    return request, middleware(request)


def test_the_kept_policy_is_django_csp_s_own_and_follows_the_settings(settings):
    from csp.middleware import CSPMiddleware
    from django.http import HttpResponse

    from core.csp import SitePolicyCSPMiddleware

    def plain(request):
        return HttpResponse("ok")

    ours = _through(SitePolicyCSPMiddleware, plain)[1]
    theirs = _through(CSPMiddleware, plain)[1]
    assert ours["Content-Security-Policy"] == theirs["Content-Security-Policy"]
    assert "Content-Security-Policy-Report-Only" not in ours
    settings.CONTENT_SECURITY_POLICY = {
        "EXCLUDE_URL_PREFIXES": ["/free/"],
        "DIRECTIVES": {"default-src": ["'self'", "https://cdn.example"]},
    }
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": {"default-src": ["'none'"]}}
    changed = _through(SitePolicyCSPMiddleware, plain)[1]
    assert changed["Content-Security-Policy"] == "default-src 'self' https://cdn.example"
    assert changed["Content-Security-Policy-Report-Only"] == "default-src 'none'"
    free = _through(SitePolicyCSPMiddleware, plain, path="/free/page/")[1]
    assert "Content-Security-Policy" not in free and "Content-Security-Policy-Report-Only" in free


def test_a_response_with_a_policy_of_its_own_gets_it(settings):
    from csp.constants import NONCE
    from csp.exceptions import CSPNonceError
    from django.http import HttpResponse

    from core.csp import SitePolicyCSPMiddleware

    def updated(request):
        response = HttpResponse("ok")
        response._csp_update = {"img-src": ["https://img.example"]}
        return response

    def exempt(request):
        response = HttpResponse("ok")
        response._csp_exempt = True
        return response

    def with_nonce(request):
        return HttpResponse(f'<script nonce="{request.csp_nonce}"></script>')

    policy = directives(_through(SitePolicyCSPMiddleware, updated)[1]["Content-Security-Policy"])
    assert policy["img-src"] == ["'self'", "data:", "https://img.example"]
    assert "Content-Security-Policy" not in _through(SitePolicyCSPMiddleware, exempt)[1]
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"script-src": ["'self'", NONCE]}}
    request, response = _through(SitePolicyCSPMiddleware, with_nonce)
    nonce = response.content.decode().split('nonce="')[1].split('"')[0]
    assert f"'nonce-{nonce}'" in directives(response["Content-Security-Policy"])["script-src"]
    request, response = _through(SitePolicyCSPMiddleware, lambda request: HttpResponse("ok"))
    with pytest.raises(CSPNonceError):  # too late for a nonce, as with django-csp
        str(request.csp_nonce)
