"""The main pages work under their Content-Security-Policy in real Chromium: no violation."""

import pytest
from playwright.sync_api import expect

from qa.models import Question
from tests.helpers import make_answer, make_question, make_user

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI} in ${e.sourceFile}`);
});
"""


def test_main_pages_raise_no_csp_violation(live_server, new_page, settings):
    # live.js too: its EventSource and catch-up fetch must pass connect-src (the subscriber URL
    # answers 404 here, without nginx; publishes go to a port where nothing listens).
    settings.LIVE_BACKEND = "nchan"
    settings.LIVE_PUBLISH_URL = "http://127.0.0.1:9"
    alice, bob = make_user("alice"), make_user("bob")
    question = make_question(alice, title="How do I reverse a list in Python?", tags=["python"])
    answer = make_answer(question, bob)
    base = live_server.url
    page = new_page()
    page.add_init_script(RECORD_VIOLATIONS)
    console = []
    page.on("console", lambda msg: console.append(msg.text))
    violations = []

    def visit(path: str) -> None:
        response = page.goto(f"{base}{path}")
        assert response is not None and response.status == 200, path
        assert "default-src 'self'" in response.headers["content-security-policy"], path
        page.wait_for_load_state("load")
        violations.extend(page.evaluate("window.__cspViolations"))

    for path in ["/", "/hot/", "/tag/python/", f"/question/{question.pk}/", "/signup/", "/login/"]:
        visit(path)

    page.fill("#id_username", "bob")
    page.fill("#id_password", "pass-word-123")
    page.click("button[type=submit]")
    expect(page.locator("nav")).to_contain_text("bob")
    for path in [
        "/ask/",
        "/profile/edit/",
        "/user/alice/",
        "/search/?q=reverse",
        f"/answer/{answer.pk}/edit/",
        f"/question/{question.pk}/revisions/",
        f"/answer/{answer.pk}/revisions/",
    ]:
        visit(path)

    # scripts that fetch: live.js (EventSource + catch-up), the suggestions dropdown and a vote
    with page.expect_request(lambda request: "/live/" in request.url):
        visit(f"/question/{question.pk}/")
    votes = page.locator("#question .vote")
    votes.locator(".vote-up").click()
    expect(votes.locator("[data-rating]")).to_have_text("1")
    search = page.locator("input[name=q]").first
    search.fill("reve")
    expect(page.get_by_text("How do I reverse a list in Python?").first).to_be_visible()
    violations.extend(page.evaluate("window.__cspViolations"))

    assert Question.objects.get().rating == 1
    assert violations == []
    assert not [line for line in console if "Content Security Policy" in line], console
