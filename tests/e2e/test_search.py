"""Suggestions as you type in the header box, in real Chromium."""

import os
import re
import time

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from tests.helpers import make_question

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DEBOUNCE_MS = 250  # static/js/suggest.js


@pytest.fixture
def questions():
    alice = get_user_model().objects.create_user("alice", password="pass-word-123")
    return [
        make_question(alice, title="Routing requests in Flask", text="Blueprints or not?"),
        make_question(alice, title="Why is my <b>router</b> slow?", text="Routing table."),
        make_question(alice, title="Reading a file line by line", text="Big files."),
    ]


def test_type_see_suggestions_pick_with_keyboard(live_server, new_page, screenshot_dir, questions):
    flask, router, _ = questions
    page = new_page()
    suggest_requests = []
    page.on(
        "request", lambda r: suggest_requests.append(r.url) if "/search/suggest/" in r.url else None
    )
    page.clock.install()
    page.goto(live_server.url + "/")
    box = page.locator("#search-input")
    menu = page.locator("#search-suggestions")

    # The page's clock stands still while typing, however slowly the browser gets the keys:
    # three keys within the debounce make one request, once the debounce has run out.
    page.clock.pause_at(page.evaluate("Date.now()") + 1000)
    box.press_sequentially("rou")
    page.clock.run_for(DEBOUNCE_MS - 1)
    assert suggest_requests == []
    page.clock.run_for(1)
    options = menu.locator("[role=option]")
    expect(options).to_have_count(2)
    expect(menu).to_be_visible()
    expect(box).to_have_attribute("aria-expanded", "true")
    assert len(suggest_requests) == 1, suggest_requests
    # User text is shown as text, never parsed as HTML.
    titles = options.all_text_contents()
    assert sorted(titles) == ["Routing requests in Flask", "Why is my <b>router</b> slow?"]
    assert menu.locator("b").count() == 0
    flask_at = titles.index("Routing requests in Flask")
    page.screenshot(path=os.path.join(screenshot_dir, "search-suggestions.png"))

    # ↓ ↓ ↑ moves the selection; Esc closes, typing reopens; Enter opens the selection.
    box.press("ArrowDown")
    expect(options.nth(0)).to_have_class(re.compile(r"\bactive\b"))
    box.press("ArrowDown")
    expect(options.nth(1)).to_have_class(re.compile(r"\bactive\b"))
    expect(options.nth(0)).not_to_have_class(re.compile(r"\bactive\b"))
    box.press("ArrowUp")
    expect(options.nth(0)).to_have_class(re.compile(r"\bactive\b"))
    box.press("Escape")
    expect(menu).to_be_hidden()
    box.press_sequentially("t")
    page.clock.run_for(DEBOUNCE_MS)
    expect(menu).to_be_visible()
    expect(options).to_have_count(2)
    assert options.all_text_contents()[flask_at] == "Routing requests in Flask"
    for _ in range(flask_at + 1):
        box.press("ArrowDown")
    box.press("Enter")
    expect(page).to_have_url(re.compile(rf"/question/{flask.pk}/$"))
    expect(page.locator("h1")).to_have_text("Routing requests in Flask")


def test_enter_without_selection_opens_results_and_click_opens_question(
    live_server, new_page, questions
):
    flask, router, _ = questions
    page = new_page()
    page.goto(live_server.url + "/")
    box = page.locator("#search-input")
    box.press_sequentially("rout")
    expect(page.locator("#search-suggestions [role=option]")).to_have_count(2)
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"/search/\?q=rout$"))
    expect(page.locator("#search-input")).to_have_value("rout")
    expect(page.locator(".search-result")).to_have_count(2)
    marks = page.locator(".search-result h2 mark")
    expect(marks).to_have_count(2)
    assert sorted(marks.all_text_contents()) == ["Routing", "router"]

    box = page.locator("#search-input")
    box.fill("")
    box.press_sequentially("slow")
    expect(page.locator("#search-suggestions [role=option]")).to_have_count(1)
    page.locator("#search-suggestions [role=option]").first.click()
    expect(page).to_have_url(re.compile(rf"/question/{router.pk}/$"))


def test_stale_answers_are_dropped(live_server, new_page, questions):
    """A late reply for an older query must not replace the newer one's suggestions."""
    page = new_page()
    page.goto(live_server.url + "/")
    held = []

    def hold_the_first(route):
        if not held:
            held.append(route)  # answered later, after the newer query's reply
        else:
            route.continue_()

    page.route("**/search/suggest/*", hold_the_first)
    box = page.locator("#search-input")
    box.press_sequentially("rou")
    deadline = time.monotonic() + 10
    while not held and time.monotonic() < deadline:
        page.wait_for_timeout(20)  # lets Playwright run the route handler
    assert len(held) == 1 and "q=rou" in held[0].request.url
    box.fill("read")
    options = page.locator("#search-suggestions [role=option]")
    expect(options).to_have_count(1)
    expect(options.first).to_have_text("Reading a file line by line")
    try:  # the page aborted it; if it had not, this late reply must still be ignored
        held[0].fulfill(json={"results": [{"id": 1, "title": "STALE", "url": "/"}]})
    except Exception:  # an aborted request cannot be fulfilled any more
        pass
    page.wait_for_timeout(300)
    expect(options).to_have_count(1)
    expect(options.first).to_have_text("Reading a file line by line")
