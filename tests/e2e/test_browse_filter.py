"""The /tags/ and /users/ filter boxes narrow the list as you type, in real Chromium."""

import os

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from tests.helpers import make_question

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_tag_filter_narrows_as_you_type(live_server, new_page, screenshot_dir):
    alice = get_user_model().objects.create_user("alice", password="pass-word-123")
    make_question(alice, title="One", tags=["python", "django"])
    make_question(alice, title="Two", tags=["python", "rust"])
    page = new_page()
    fetches = []
    page.on("request", lambda r: fetches.append(r.url) if "/tags/?" in r.url else None)
    page.goto(live_server.url + "/tags/")
    cards = page.locator("#tag-list .tag")
    expect(cards).to_have_text(["python", "django", "rust"])

    page.locator('.list-filter input[name="q"]').press_sequentially("ru")
    expect(cards).to_have_text(["rust"])
    assert len(fetches) == 1, fetches  # debounced: one request for two keys
    assert page.url.endswith("/tags/?q=ru")  # the address bar follows (reload, share)
    page.screenshot(path=os.path.join(screenshot_dir, "tags-filter.png"))

    page.locator('.list-filter input[name="q"]').fill("<b>x")
    expect(page.locator("#tag-list")).to_contain_text("No tag contains “<b>x”")
    assert page.locator("#tag-list b").count() == 0

    page.locator('.list-filter input[name="q"]').fill("")
    expect(cards).to_have_count(3)


def test_user_filter_keeps_the_tab(live_server, new_page):
    users = get_user_model().objects
    for name in ("alice", "bob", "alfred"):
        users.create_user(name, password="pass-word-123")
    page = new_page()
    page.goto(live_server.url + "/users/?order=new")
    page.locator('.list-filter input[name="q"]').press_sequentially("al")
    names = page.locator("#user-list .member-card a")
    expect(names).to_have_text(["alfred", "alice"])
    assert page.url.endswith("/users/?order=new&q=al")
