"""A Content-Type charset Django cannot decode is a 400, never a 500 (issue 11, item 6).

Through askme.wsgi.application, as gunicorn calls it: the failure happens while Django builds the
request, before any Django middleware or the test Client's handler could see it.
"""

import pytest

from core.middleware import charset_is_acceptable
from tests.helpers import client_for, make_question
from tests.wsgi_client import wsgi_request

BAD_GET = ["rot13", "idna", "utf-16", "punycode", "hex", "no-such-charset", ""]
BAD_POST = ["utf-16", "punycode", "rot13", "idna", "utf-7", "base64", "no-such-charset"]
FORM = "application/x-www-form-urlencoded; charset={}"


@pytest.fixture
def question(alice):
    return make_question(alice, tags=["python"])


def member_cookies(user) -> dict[str, str]:
    client = client_for(user)
    client.get("/login/")
    return {name: morsel.value for name, morsel in client.cookies.items()}


@pytest.mark.parametrize("charset", BAD_GET)
@pytest.mark.parametrize("path", ["/", "/hot/?page=2", "/search/?q=list", "/search/suggest/?q=li"])
def test_get_with_a_bad_charset_is_a_400(db, path, charset):
    response = wsgi_request("GET", path, content_type=f"text/plain; charset={charset}")
    assert response.status == 400
    assert b"charset" in response.body


@pytest.mark.parametrize("charset", BAD_POST)
def test_form_post_with_a_bad_charset_is_a_400(bob, question, charset):
    cookies = member_cookies(bob)
    body = f"csrfmiddlewaretoken={cookies['csrftoken']}&text=an+answer+long+enough".encode()
    for path in (f"/question/{question.pk}/", "/ask/", "/login/", "/signup/"):
        response = wsgi_request("POST", path, body, FORM.format(charset), cookies)
        assert response.status == 400, path
    assert question.answers.count() == 0


@pytest.mark.parametrize("charset", BAD_POST)
def test_json_endpoint_post_with_a_bad_charset_is_a_400(bob, question, charset):
    cookies = member_cookies(bob)
    response = wsgi_request(
        "POST",
        f"/question/{question.pk}/vote/",
        b"value=1",
        FORM.format(charset),
        cookies,
        headers={"X-CSRFToken": cookies["csrftoken"]},
    )
    assert response.status == 400
    question.refresh_from_db()
    assert question.rating == 0


@pytest.mark.parametrize("charset", ["utf-8", "UTF-8", '"utf-8"'])
def test_utf8_forms_still_work(bob, question, charset):
    cookies = member_cookies(bob)
    response = wsgi_request(
        "POST",
        f"/question/{question.pk}/vote/",
        b"value=1",
        FORM.format(charset),
        cookies,
        headers={"X-CSRFToken": cookies["csrftoken"]},
    )
    assert response.status == 200, response.body
    assert response.body == b'{"rating": 1, "vote": 1}'


@pytest.mark.parametrize("charset", ["utf8", "latin-1", "cp1251", "us-ascii"])
def test_a_form_body_in_another_charset_is_a_400(bob, question, charset):
    # Django 5.2 decodes x-www-form-urlencoded as UTF-8 only; before the guard, any other
    # charset was a 500 with a chain of tracebacks (every error view re-checks CSRF).
    cookies = member_cookies(bob)
    text = "Café crème".encode("latin-1").replace(b" ", b"+")
    body = f"csrfmiddlewaretoken={cookies['csrftoken']}&text=".encode() + text
    path = f"/question/{question.pk}/"
    response = wsgi_request("POST", path, body, FORM.format(charset), cookies)
    assert response.status == 400
    assert b"UTF-8" in response.body
    assert question.answers.count() == 0


@pytest.mark.parametrize("charset", ["utf-8", "latin-1", "cp1251", "koi8-r"])
def test_a_get_in_an_ascii_compatible_charset_is_served(db, charset):
    response = wsgi_request("GET", "/hot/?page=2", content_type=f"text/plain; charset={charset}")
    assert response.status == 200


def test_the_charset_policy():
    accepted = ["utf-8", "utf8", "ascii", "latin-1", "iso-8859-15", "cp1252", "koi8-r", "gbk"]
    refused = ["utf-16", "utf-32", "utf-7", "punycode", "idna", "rot13", "hex", "zlib", "x", ""]
    assert all(charset_is_acceptable(name) for name in accepted)
    assert not any(charset_is_acceptable(name) for name in refused)
