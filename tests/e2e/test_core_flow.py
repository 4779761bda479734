"""A newcomer signs up, asks, a second member answers and votes, in real Chromium."""

import os
import re

import pytest
from playwright.sync_api import expect

from qa.models import Answer, Question

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def signup(page, base, username):
    page.goto(f"{base}/signup/")
    page.fill("#id_username", username)
    page.fill("#id_email", f"{username}@example.com")
    page.fill("#id_password1", "a-long-pass-phrase")
    page.fill("#id_password2", "a-long-pass-phrase")
    page.click("button[type=submit]")
    expect(page.locator("nav")).to_contain_text(username)


def test_sign_up_ask_answer_vote(live_server, new_page, screenshot_dir):
    base = live_server.url
    asker, answerer = new_page(), new_page()

    signup(asker, base, "alice")
    asker.click("text=Ask a question")
    asker.fill("#id_title", "How do I read a file line by line?")
    asker.fill("#id_text", "I have a **big** file and `read()` eats my memory.")
    asker.fill("#id_tags", "python files")
    asker.click("button:has-text('Ask')")
    expect(asker.locator("h1")).to_have_text("How do I read a file line by line?")
    question = Question.objects.get()
    expect(asker.locator(".markdown strong")).to_have_text("big")

    signup(answerer, base, "bob")
    answerer.goto(f"{base}/question/{question.pk}/")
    answerer.fill(
        "textarea[name=text]", "Iterate over it:\n\n```python\nfor line in f:\n    ...\n```"
    )
    answerer.click("button:has-text('Post your answer')")
    answer = Answer.objects.get()
    expect(answerer).to_have_url(re.compile(rf"/question/{question.pk}/#answer-{answer.pk}$"))
    expect(answerer.locator(f"#answer-{answer.pk} pre code")).to_contain_text("for line in f:")

    # bob votes the question up: the number changes from the JSON reply, no reload.
    question_votes = answerer.locator("#question .vote")
    question_votes.locator(".vote-up").click()
    expect(question_votes.locator("[data-rating]")).to_have_text("1")
    question.refresh_from_db()
    assert question.rating == 1

    # alice reloads, sees the answer, votes it up and marks it correct.
    asker.reload()
    answer_box = asker.locator(f"#answer-{answer.pk}")
    answer_box.locator(".vote-up").click()
    expect(answer_box.locator("[data-rating]")).to_have_text("1")
    answer_box.locator(".correct-toggle").click()
    expect(answer_box).to_have_class(re.compile(r"\bis-correct\b"))
    answer.refresh_from_db()
    assert answer.rating == 1 and answer.is_correct

    # The page is really styled by our Bootstrap: the navbar is dark, not default white.
    navbar_bg = asker.evaluate(
        "getComputedStyle(document.querySelector('nav.navbar')).backgroundColor"
    )
    assert navbar_bg not in ("rgba(0, 0, 0, 0)", "rgb(255, 255, 255)")
    asker.screenshot(path=os.path.join(screenshot_dir, "question.png"), full_page=True)
