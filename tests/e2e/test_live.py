"""Live answers in two real browsers, through real nginx + Nchan in front of the live server."""

import re
import time

import pytest
from playwright.sync_api import expect

from qa.models import ANSWERS_PER_PAGE, Answer
from qa.services import answer_create, vote_set
from tests.helpers import make_answer, make_question, make_user
from tests.live import fixtures

pytestmark = [pytest.mark.e2e, pytest.mark.live, pytest.mark.django_db(transaction=True)]

PASSWORD = "pass-word-123"
# nginx + Nchan in front of the live server, from tests/live.
live_site = fixtures.live_site
live_static_root = fixtures.live_static_root
push_stream_site = fixtures.push_stream_site  # skipped unless PUSH_STREAM_NGINX is set


def log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Log in')")
    expect(page.locator("nav")).to_contain_text(username)


def open_live(page, url: str) -> None:
    page.goto(url)
    expect(page.locator("body")).to_have_attribute("data-live-state", "open")


def answers_on(page) -> list[int]:
    return [
        int(x)
        for x in page.eval_on_selector_all(".answer", "els => els.map(e => e.dataset.answerId)")
    ]


def test_answers_votes_and_marks_arrive_without_reload(live_site, new_page):
    base = live_site.site_url
    alice = make_user("alice")
    make_user("bob")
    question = make_question(alice, title="Why is my loop slow?")
    first = make_answer(question, alice, text="Profile it first.")
    url = f"{base}/question/{question.pk}/"

    a, b = new_page(), new_page()
    log_in(a, base, "bob")
    log_in(b, base, "alice")
    open_live(a, url)
    open_live(b, url)
    b.evaluate("window.__notReloaded = true")

    # bob (A) posts through the form; alice (B) sees it without reloading.
    a.fill("textarea[name=text]", "Use a **set** for membership tests.")
    a.click("button:has-text('Post your answer')")
    answer = Answer.objects.exclude(pk=first.pk).get()
    expect(a).to_have_url(re.compile(rf"#answer-{answer.pk}$"))
    expect(a.locator(f"#answer-{answer.pk}")).to_have_count(1)

    new = b.locator(f"#answer-{answer.pk}")
    expect(new.locator(".markdown strong")).to_have_text("set")
    expect(b.locator("#answers-heading")).to_have_text("2 answers")
    assert b.evaluate("window.__notReloaded") is True
    assert answers_on(b) == [first.pk, answer.pk]
    # The pushed partial works like the rendered one: alice may vote and mark it.
    expect(new.locator(".vote-up")).to_be_enabled()

    # The author's own page shows the answer once, even after the push arrived.
    time.sleep(0.3)
    assert answers_on(a).count(answer.pk) == 1

    # bob votes alice's first answer up: alice's number changes live.
    a.locator(f"#answer-{first.pk} .vote-up").click()
    expect(a.locator(f"#answer-{first.pk} [data-rating]")).to_have_text("1")
    expect(b.locator(f"#answer-{first.pk} [data-rating]")).to_have_text("1")

    # alice marks bob's answer correct: bob sees the mark live.
    new.locator(".correct-toggle").click()
    expect(a.locator(f"#answer-{answer.pk}")).to_have_class(re.compile(r"\bis-correct\b"))

    # The answers are cached fragments, the same for everybody: after a reload bob still sees
    # his own vote, and alice, who did not vote, sees none.
    a.reload()
    expect(a.locator(f"#answer-{first.pk} .vote-up")).to_have_class(re.compile(r"\bactive\b"))
    b.reload()
    expect(b.locator(f"#answer-{first.pk} [data-rating]")).to_have_text("1")
    expect(b.locator(f"#answer-{first.pk} .vote-up")).not_to_have_class(re.compile(r"\bactive\b"))


def test_markup_in_an_answer_arrives_as_text(live_site, new_page):
    base = live_site.site_url
    alice, bob = make_user("alice"), make_user("bob")
    question = make_question(alice)
    b = new_page()
    dialogs = []
    b.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    open_live(b, f"{base}/question/{question.pk}/")

    evil = "<img src=x onerror=\"document.title='pwned'\"> and <script>alert(1)</script>"
    answer = answer_create(question=question, author=bob, text=evil)

    box = b.locator(f"#answer-{answer.pk}")
    expect(box.locator(".markdown")).to_contain_text("<img src=x onerror=")
    expect(box.locator(".markdown")).to_contain_text("<script>alert(1)</script>")
    assert box.locator("img:not(.avatar), script").count() == 0
    time.sleep(0.2)
    assert b.title() != "pwned" and dialogs == []


def test_on_an_earlier_page_a_bar_announces_new_answers(live_site, new_page):
    base = live_site.site_url
    alice, bob = make_user("alice"), make_user("bob")
    question = make_question(alice)
    for n in range(ANSWERS_PER_PAGE):
        make_answer(question, alice, text=f"Answer number {n}")
    b = new_page()
    open_live(b, f"{base}/question/{question.pk}/")  # page 1 of 1, full
    before = answers_on(b)

    first = answer_create(question=question, author=bob, text="Thirty-first answer")
    bar = b.locator("#new-answers-bar")
    expect(bar).to_be_visible()
    expect(bar).to_contain_text("1 new answer — show")
    second = answer_create(question=question, author=bob, text="Thirty-second answer")
    expect(bar).to_contain_text("2 new answers — show")
    expect(b.locator("#answers-heading")).to_have_text(f"{ANSWERS_PER_PAGE + 2} answers")
    assert answers_on(b) == before  # nothing inserted on a page they do not belong to

    b.click("#new-answers-link")
    expect(b).to_have_url(re.compile(rf"\?page=2#answer-{first.pk}$"))
    expect(b.locator(f"#answer-{first.pk}")).to_be_visible()
    expect(b.locator(f"#answer-{second.pk}")).to_have_count(1)


def test_nginx_restart_every_page_shows_each_answer_once(live_site, new_page):
    """Pages reconnect by themselves after nginx restarts and catch up from our endpoint."""
    base = live_site.site_url
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    question = make_question(alice)
    url = f"{base}/question/{question.pk}/"
    pages = [new_page() for _ in range(3)]
    for page in pages:
        open_live(page, url)
    posted = [answer_create(question=question, author=bob, text="Before the restart.")]
    for page in pages:
        expect(page.locator(f"#answer-{posted[0].pk}")).to_have_count(1)

    live_site.stop()
    # Posting still works, and fast, with nginx down; the pages catch up afterwards.
    started = time.monotonic()
    posted.append(answer_create(question=question, author=carol, text="While nginx is down."))
    assert time.monotonic() - started < 1.0
    live_site.start()
    for page in pages:
        expect(page.locator("body")).to_have_attribute("data-live-state", "open", timeout=15_000)
    for n in range(3):
        posted.append(answer_create(question=question, author=bob, text=f"After restart {n}."))
    vote_set(user=carol, target=posted[0], value=1)

    ids = [answer.pk for answer in posted]
    for page in pages:
        expect(page.locator(f"#answer-{ids[-1]}")).to_have_count(1)
        expect(page.locator(f"#answer-{ids[0]} [data-rating]")).to_have_text("1")
        expect(page.locator("#answers-heading")).to_have_text(f"{len(ids)} answers")
    time.sleep(0.3)
    for page in pages:
        shown = answers_on(page)
        assert sorted(shown) == sorted(ids), shown
    assert live_site.crashes() == []
    assert len(live_site.worker_pids()) == fixtures.SITE_WORKERS


def test_answering_works_and_is_quick_when_nginx_is_down(live_site, live_server, new_page):
    alice, bob = make_user("alice"), make_user("bob")
    question = make_question(alice)
    live_site.stop()
    # Straight to the app server: the comet server (and the site's front door) are gone.
    base = live_server.url
    a = new_page()
    log_in(a, base, "bob")
    a.goto(f"{base}/question/{question.pk}/")
    a.fill("textarea[name=text]", "Still works.")
    started = time.monotonic()
    a.click("button:has-text('Post your answer')")
    answer = Answer.objects.get()
    expect(a).to_have_url(re.compile(rf"#answer-{answer.pk}$"))
    expect(a.locator(f"#answer-{answer.pk}")).to_contain_text("Still works.")
    assert time.monotonic() - started < 2
    assert answer.author == bob


def test_push_stream_backend_delivers_to_the_page(push_stream_site, new_page):
    """The second backend, same page and live.js: only nginx's config differs."""
    base = push_stream_site.site_url
    alice, bob = make_user("alice"), make_user("bob")
    question = make_question(alice)
    first = make_answer(question, alice)
    b = new_page()
    open_live(b, f"{base}/question/{question.pk}/")

    answer = answer_create(question=question, author=bob, text="Via **push-stream**.")
    vote_set(user=bob, target=first, value=1)

    expect(b.locator(f"#answer-{answer.pk} .markdown strong")).to_have_text("push-stream")
    expect(b.locator(f"#answer-{first.pk} [data-rating]")).to_have_text("1")
    expect(b.locator("#answers-heading")).to_have_text("2 answers")


def test_an_anonymous_reader_served_a_cached_page_still_sees_every_answer(
    live_site, new_page, settings
):
    """nginx keeps a public page for anonymous readers (here long enough to be sure the second
    reader gets the copy made before the answer); the page's catch-up on load brings the rest."""
    settings.PUBLIC_PAGE_SECONDS = 60
    base = live_site.site_url
    alice, bob = make_user("alice"), make_user("bob")
    question = make_question(alice)
    url = f"{base}/question/{question.pk}/"
    first = new_page()
    first.goto(url)
    answer = answer_create(question=question, author=bob, text="Committed before the load.")

    second = new_page()
    response = second.goto(url)
    assert response.headers["x-cache"] == "HIT"
    assert f'id="answer-{answer.pk}"' not in response.text()  # the copy is older than the answer
    expect(second.locator(f"#answer-{answer.pk}")).to_contain_text("Committed before the load.")
    expect(second.locator("#answers-heading")).to_have_text("1 answer")
    # A member opening the same page gets their own rendering, with the answer in it.
    member = new_page()
    log_in(member, base, "alice")
    response = member.goto(url)
    assert response.headers["x-cache"] == "BYPASS" and f'id="answer-{answer.pk}"' in response.text()
