"""Edits, comments and deletions reach an open page live, in two real browsers, through real
nginx + Nchan in front of the live server; hostile text stays text on the way."""

import pytest
from playwright.sync_api import expect

from qa.models import Answer, Comment
from qa.services import answer_create
from tests.helpers import make_answer, make_question, make_user
from tests.live import fixtures

from .test_live import log_in, open_live

pytestmark = [pytest.mark.e2e, pytest.mark.live, pytest.mark.django_db(transaction=True)]

each_live_site = fixtures.each_live_site
live_static_root = fixtures.live_static_root
XSS = "<img src=x onerror=window.__pwned=1>"


def test_edits_comments_and_deletions_arrive_without_reload(each_live_site, new_page):
    base = each_live_site.site_url
    alice, bob = make_user("alice"), make_user("bob")
    question = make_question(alice, title="Why is my loop slow?", tags=["python"])
    answer = make_answer(question, bob, text="Profile it first.")
    doomed = make_answer(question, bob, text="This one will be deleted.")
    url = f"{base}/question/{question.pk}/"

    reader, writer = new_page(), new_page()
    log_in(reader, base, "alice")
    log_in(writer, base, "bob")
    open_live(reader, url)
    open_live(writer, url)
    reader.evaluate("window.__notReloaded = true")
    # Alice is typing an answer: nothing below may take it away.
    reader.fill("textarea[name=text]", "half-written answer")

    # bob edits his answer in another tab: alice's copy changes in place.
    writer.goto(f"{base}/answer/{answer.pk}/edit/")
    writer.fill("textarea[name=text]", f"Profile it with **cProfile** {XSS}")
    writer.fill("input[name=summary]", "name the tool")
    writer.click("button:has-text('Save edits')")
    body = reader.locator(f'[data-post-body="answer-{answer.pk}"]')
    expect(body.locator(".markdown strong")).to_have_text("cProfile")
    expect(body).to_contain_text("<img src=x")
    expect(body.locator(".edited-link")).to_contain_text("edited")
    expect(body.locator(".edited-link")).to_have_attribute(
        "href", f"/answer/{answer.pk}/revisions/"
    )

    # bob comments on the question from his page: alice sees it live, as text.
    open_live(writer, url)
    question_comments = writer.locator(f'[data-comments-for="question-{question.pk}"]')
    question_comments.locator(".comment-add").click()
    question_comments.locator("input[name=text]").fill(f"Which version? {XSS}")
    question_comments.locator("button[type=submit]:has-text('Comment')").click()
    expect(question_comments.locator("li.comment")).to_have_count(1)
    seen = reader.locator(f'[data-comments-for="question-{question.pk}"] li.comment')
    expect(seen).to_have_count(1)
    expect(seen).to_contain_text(f"Which version? {XSS}")
    # It is bob's comment: alice gets no delete button, bob does.
    expect(seen.locator(".comment-delete")).to_be_hidden()
    expect(question_comments.locator(".comment-delete")).to_be_visible()

    # bob deletes that comment and the doomed answer: both vanish from alice's page.
    question_comments.locator(".comment-delete").click()
    expect(seen).to_have_count(0)
    writer.once("dialog", lambda dialog: dialog.accept())
    writer.locator(f"#answer-{doomed.pk} .post-delete-form button").click()
    expect(reader.locator(f"#answer-{doomed.pk}")).to_have_count(0)
    expect(reader.locator("#answers-heading")).to_have_text("1 answer")

    # alice edits her question's title and tags: her own reading page follows too.
    writer2 = new_page()
    log_in(writer2, base, "alice")
    writer2.goto(f"{base}/question/{question.pk}/edit/")
    writer2.fill("input[name=title]", f"Why is my loop slow {XSS}?")
    writer2.fill("input[name=tags]", "python performance")
    writer2.click("button:has-text('Save edits')")
    title = reader.locator(".question-title")
    expect(title).to_have_text(f"Why is my loop slow {XSS}?")
    expect(reader.locator(f'[data-post-body="question-{question.pk}"] .tag')).to_have_text(
        ["performance", "python"]
    )

    assert reader.input_value("textarea[name=text]") == "half-written answer"
    assert reader.evaluate("window.__notReloaded") is True
    assert reader.evaluate("window.__pwned") is None
    assert Answer.all_objects.get(pk=doomed.pk).is_deleted
    assert not Comment.objects.visible().exists()


def test_an_answer_too_big_for_the_comet_server_still_reaches_a_live_reader(
    each_live_site, new_page, settings
):
    """Its message is over the size the comet server takes: readers get a small notice and
    their page fetches the answer from the catch-up endpoint."""
    settings.LIVE_MAX_MESSAGE_BYTES = 2_000
    base = each_live_site.site_url
    alice, bob = make_user("alice"), make_user("bob")
    question = make_question(alice)
    reader = new_page()
    open_live(reader, f"{base}/question/{question.pk}/")

    text = "A long answer with **bold** words. " * 200  # ~7,000 characters of HTML
    answer = answer_create(question=question, author=bob, text=text)

    article = reader.locator(f"#answer-{answer.pk}")
    expect(article.locator(".markdown strong").first).to_have_text("bold")
    expect(reader.locator("#answers-heading")).to_have_text("1 answer")
