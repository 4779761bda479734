"""nginx's limits in front of the site (deploy/nginx/common/): a burst of logins or posts from one
address gets 429s while reading stays 200, and refusals never flood the error log."""

import re

import pytest
import requests
from django.urls import reverse

from deploy import nginx as deploy_nginx
from qa.models import Question

from .harness import Nginx

pytestmark = pytest.mark.live


@pytest.fixture
def question(alice):
    return Question.objects.create(author=alice, title="Limits?", text="Where are the limits?")


def _error_lines(nginx: Nginx) -> list[str]:
    return [line for line in nginx.error_log().splitlines() if line.strip()]


def test_refused_live_connections_add_no_error_log_lines():
    nginx = Nginx("nchan.conf", conn_per_ip=2).start()
    readers = []
    try:
        readers = [nginx.subscribe(44) for _ in range(2)]
        for reader in readers:
            reader.wait_connected()
        before = _error_lines(nginx)
        with requests.Session() as session:
            statuses = [
                session.get(f"{nginx.site_url}/live/question-44", timeout=2).status_code
                for _ in range(100)
            ]
        assert statuses == [429] * 100
        assert _error_lines(nginx) == before
    finally:
        for reader in readers:
            reader.close()
        nginx.cleanup()


def _nginx_429(response: requests.Response) -> bool:
    return response.status_code == 429 and "nginx" in response.text


def test_a_burst_of_logins_gets_429_while_pages_stay_200(live_site, question):
    burst = int(live_site.values["LOGIN_BURST"])
    form = {"username": "alice", "password": "wrong"}
    with requests.Session() as session:
        logins = [
            session.post(f"{live_site.site_url}/login/", data=form, timeout=5)
            for _ in range(burst + 15)
        ]
        pages = [
            session.get(f"{live_site.site_url}{path}", timeout=5)
            for path in ("/", f"/question/{question.pk}/", "/login/") * 5
        ]
    # The first burst + 1 reach Django (which refuses them its own way: no CSRF token here)...
    assert not any(_nginx_429(r) for r in logins[: burst + 1])
    # ...the rest, at 20 a minute, mostly do not.
    assert sum(_nginx_429(r) for r in logins) >= 10
    assert [r.status_code for r in pages] == [200] * len(pages)
    assert "limiting requests" not in live_site.error_log()


def test_posting_is_limited_with_room_for_a_person(live_site, question):
    burst = int(live_site.values["POST_BURST"])
    assert burst >= 20
    url = f"{live_site.site_url}/question/{question.pk}/vote/"
    with requests.Session() as session:
        votes = [session.post(url, data={"value": 1}, timeout=5) for _ in range(burst + 30)]
        page = session.get(f"{live_site.site_url}/question/{question.pk}/", timeout=5)
    assert not any(_nginx_429(r) for r in votes[: burst + 1])
    # 2 a second refill while a loaded machine sends them: some, not all, are refused.
    assert sum(_nginx_429(r) for r in votes) >= 3
    assert page.status_code == 200


def _map_regex(name: str) -> re.Pattern:
    text = (deploy_nginx.COMMON / "http.conf").read_text()
    body = re.search(rf'map "\$request_method:\$uri" \${name} {{\n\s+"~(.+)" ', text).group(1)
    return re.compile(body)


@pytest.mark.parametrize(
    ("key", "name", "args"),
    [
        ("askme_login_key", "login", []),
        ("askme_login_key", "signup", []),
        ("askme_post_key", "ask", []),
        ("askme_post_key", "profile_edit", []),
        ("askme_post_key", "question", [33]),
        ("askme_post_key", "question_vote", [33]),
        ("askme_post_key", "answer_vote", [812]),
        ("askme_post_key", "answer_correct", [812]),
    ],
)
def test_the_limited_urls_are_django_s_posting_urls(key, name, args):
    """If a URL moves in Django, the nginx map must move with it."""
    path = reverse(name, args=args)
    assert _map_regex(key).match(f"POST:{path}"), path
    assert not _map_regex(key).match(f"GET:{path}"), path
