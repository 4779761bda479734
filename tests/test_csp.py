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
