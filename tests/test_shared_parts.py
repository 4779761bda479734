"""The parts of a page that are the same for every viewer, kept whole until the site changes
(qa.fragments.shared_parts, core.generation): what a member or a guest gets around them is
their own, and any write makes the next page show it."""

import json
import re
import time

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test import RequestFactory

from accounts.models import Session
from accounts.sessions import SessionStore
from core.generation import GENERATION_KEY, site_changed, site_generation
from core.localcache import LocalCache
from inbox.models import Notification
from qa.fragments import SHARED_PARTS_TTL, render_with_slots, shared_parts, shared_parts_key
from qa.models import Answer, Question
from qa.services import vote_set

from .helpers import client_for, csrf_post, make_answer, make_question, queries_of_get

pytestmark = pytest.mark.django_db


def _reads_answers(sql: list[str]) -> bool:
    """Whether the page read its rows of answers (not only this viewer's votes on them, nor
    whether an author may still delete the question)."""
    return any('"qa_answer"."id" AS "pk"' in statement for statement in sql)


def test_a_question_page_is_joined_once_and_kept_until_a_write(alice, bob, carol):
    question = make_question(alice)
    answer = make_answer(question, bob, text="The first answer, kept whole.")
    url = question.get_absolute_url()
    reader = client_for(carol)  # (logging in writes last_login: that moves the generation too)
    first, _ = queries_of_get(reader, url)
    again, page = queries_of_get(reader, url)
    assert _reads_answers(first) and not _reads_answers(again)
    assert len(again) < len(first)
    assert "The first answer, kept whole." in page.content.decode()

    # A POST that writes nothing (a refused vote) leaves the parts; one that writes moves them.
    refused = csrf_post(reader, f"/answer/{answer.pk}/vote/", {"value": "7"})
    assert refused.status_code == 400
    assert not _reads_answers(queries_of_get(reader, url)[0])
    voted = csrf_post(reader, f"/answer/{answer.pk}/vote/", {"value": "1"})
    assert voted.status_code == 200
    sql, page = queries_of_get(reader, url)
    assert _reads_answers(sql)
    assert "data-rating>1</span>" in page.content.decode().split(f'id="answer-{answer.pk}"')[1]


def test_an_answer_posted_shows_on_the_page_it_redirects_to(alice, bob, carol):
    question = make_question(alice)
    url = question.get_absolute_url()
    client_for(carol).get(url)  # the parts are kept
    posted = csrf_post(client_for(bob), url, {"text": "Fresh from the form, seen at once."})
    assert posted.status_code == 302
    assert "Fresh from the form, seen at once." in client_for(bob).get(posted["Location"]).text


def test_viewers_share_the_parts_but_never_each_others_bits(alice, bob, carol):
    question = make_question(alice)
    answer = make_answer(question, bob)
    vote_set(user=carol, target=question, value=-1)
    vote_set(user=carol, target=answer, value=-1)  # (alice may delete: no answer scores above 0)
    url = question.get_absolute_url()
    readers = {"carol": carol, "alice": alice, "bob": bob, "guest": None}
    clients = {name: client_for(user) for name, user in readers.items()}  # logged in first
    site_changed()  # carol's page first: everything after is read from the parts it kept
    pages, reads = {}, []
    for name, client in clients.items():
        sql, pages[name] = queries_of_get(client, url)
        reads.append(_reads_answers(sql))
    assert reads == [True, False, False, False]
    bodies = {name: page.content.decode() for name, page in pages.items()}

    def attrs(body: str) -> dict:
        tag = re.search(r'<div class="question-page[^>]*>', body).group(0)
        return dict(re.findall(r'data-([a-z-]+)="([^"]*)"', tag)) | {"tag": tag}

    carol_page, alice_page, bob_page = (attrs(bodies[name]) for name in ("carol", "alice", "bob"))
    assert carol_page["viewer"] == str(carol.pk) and alice_page["viewer"] == str(alice.pk)
    assert carol_page["my-question-vote"] == "-1" and alice_page["my-question-vote"] == "0"
    assert json.loads(carol_page["my-votes"].replace("&quot;", '"')) == {str(answer.pk): -1}
    assert json.loads(bob_page["my-votes"].replace("&quot;", '"')) == {}
    # the author's own links and the delete form (with her CSRF token) are hers alone
    assert "viewer-is-author" in alice_page["tag"] and "viewer-is-author" not in carol_page["tag"]
    assert "delete question" in bodies["alice"] and "delete question" not in bodies["carol"]
    # nobody's vote is marked in the shared HTML; the guest's buttons are disabled
    for body in bodies.values():
        assert "vote-btn vote-up active" not in body and "vote-btn vote-down active" not in body
    assert "disabled title=" in bodies["guest"] and "disabled title=" not in bodies["carol"]
    assert "csrfmiddlewaretoken" not in bodies["guest"] and 'data-viewer=""' in bodies["guest"]
    tokens = {
        name: set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', body))
        for name, body in bodies.items()
    }
    assert not tokens["alice"] & tokens["carol"]


def test_a_list_is_kept_until_a_question_comes(alice, bob):
    make_question(alice, title="An older question on the list")
    member = client_for(bob)
    first, _ = queries_of_get(member, "/")
    again, page = queries_of_get(client_for(), "/")
    assert any('FROM "qa_question"' in s for s in first)
    assert not any('FROM "qa_question"' in s for s in again)  # the same parts, any viewer
    asked = csrf_post(
        member,
        "/ask/",
        {"title": "A brand new question on the list", "text": "Its body, long enough.", "tags": ""},
    )
    assert asked.status_code == 302
    assert "A brand new question on the list" in client_for().get("/").content.decode()


def test_parts_never_cross_languages(alice, bob):
    question = make_question(alice)
    make_answer(question, bob)
    english = client_for().get(question.get_absolute_url()).content.decode()
    client = client_for()
    client.cookies["django_language"] = "ru"
    russian = client.get(question.get_absolute_url()).content.decode()
    assert "1 answer" in english and "1 answer" not in russian


# --- the site generation ---------------------------------------------------------------


def test_writes_to_the_tables_pages_show_move_the_generation(alice, bob):
    before = site_generation()
    question = make_question(alice, tags=["python"])
    assert site_generation() != before
    for write in (
        lambda: Question.objects.filter(pk=question.pk).update(rating=5),  # no model signal
        lambda: question.tags.clear(),  # the many-to-many table
        lambda: type(alice.profile).objects.filter(user=alice).update(reputation=77),
        # Sessions: a logout (its row deleted) ends what workers keep of it (test_kept_sessions).
        lambda: SessionStore().save(),
        lambda: Session.objects.all().delete(),
    ):
        before = site_generation()
        write()
        assert site_generation() != before
    reader = client_for(bob)  # (logging in writes auth_user.last_login: that moves it)
    before = site_generation()
    list(Answer.objects.all())
    Notification.objects.create(recipient=bob, kind="answer", question=question)  # not shown
    reader.get("/")
    assert site_generation() == before


def test_the_generation_moves_again_when_the_transaction_commits(alice):
    question = make_question(alice)
    with transaction.atomic():
        Question.objects.filter(pk=question.pk).update(rating=1)
        inside = site_generation()
        # a page read now (before the commit) is stored under `inside`: it must not stay
        pending = [entry[1] for entry in connection.run_on_commit]
    assert site_changed in pending
    site_changed()  # what on_commit runs (the test's own transaction never commits)
    assert site_generation() != inside


def test_a_lost_generation_starts_a_new_one():
    first = site_generation()
    cache.delete(GENERATION_KEY)
    assert site_generation() not in (None, first)


def test_the_slots_cut_a_partial_where_its_slots_are():
    pieces = render_with_slots("qa/_question_shared.html", _shared_context(), slots=2)
    assert len(pieces) == 3 and pieces[0].endswith('<fieldset class="d-contents"')
    with pytest.raises(ValueError):
        render_with_slots("qa/_question_shared.html", _shared_context(), slots=3)


def _shared_context() -> dict:
    from django.core.paginator import Paginator

    question = Question(pk=1, title="t", rating=0, answers_count=0)
    question.body_fragment = question.comments_html = ""
    question.comments_count = 0
    page = Paginator([], 30).page(1)
    return {"question": question, "page": page, "answers": [], "request": RequestFactory().get("/")}


def test_a_process_keeps_its_own_copy_only_as_long_as_the_shared_one(alice, bob, carol):
    question = make_question(alice)
    make_answer(question, bob)
    url = question.get_absolute_url()
    reader = client_for(carol)
    reader.get(url)
    # The shared copy gone (another node's cache restarted): this process's copy still serves
    # the same generation, and a write still makes the next page read the rows.
    generation = cache.get(GENERATION_KEY)
    cache.clear()
    cache.set(GENERATION_KEY, generation, None)
    assert not _reads_answers(queries_of_get(reader, url)[0])
    site_changed()
    assert _reads_answers(queries_of_get(reader, url)[0])

    # A copy read from the shared cache expires when the shared one was to expire.
    request = RequestFactory().get("/kept/")
    key = shared_parts_key(request, "kept")
    cache.set(key, (time.time() - SHARED_PARTS_TTL - 1, {"n": 1}), 60)
    assert shared_parts(key, lambda: {"n": 2}) == {"n": 1}  # read from the shared cache
    cache.delete(key)
    assert shared_parts(key, lambda: {"n": 3}) == {"n": 3}  # its local copy had expired


def test_nothing_is_kept_while_the_cache_cannot_answer(monkeypatch):
    def fails(*args, **kwargs):
        raise OSError("cache down")

    monkeypatch.setattr(cache, "get", fails)
    monkeypatch.setattr(cache, "add", fails)
    assert site_generation() is None
    request = RequestFactory().get("/down/")
    assert shared_parts_key(request, "down") is None
    built = iter(range(3))
    assert shared_parts(None, lambda: next(built)) == 0
    assert shared_parts(None, lambda: next(built)) == 1  # no write could move it: not kept


def test_the_local_copies_are_bounded_and_expire():
    kept = LocalCache(max_entries=2)
    soon = time.time() + 60
    kept.set("a", 1, soon)
    kept.set("b", 2, soon)
    assert kept.get("a") == 1  # b is now the least recently used
    kept.set("c", 3, soon)
    assert (kept.get("a"), kept.get("b"), kept.get("c")) == (1, None, 3)
    kept.set("old", 4, time.time() - 1)
    assert kept.get("old") is None


def test_parts_are_put_in_the_page_as_they_were_rendered(alice, bob, carol):
    """The shared parts go into the page as encoded bytes (render_around_parts): text in any
    script comes out whole, in its place, on a kept page as on the first."""
    question = make_question(alice, title="Почему ✓ — «кавычки»?")
    make_answer(question, bob, text="Ответ: 日本語 и ёлка…")
    reader = client_for(carol)
    pages = [reader.get(question.get_absolute_url()) for _ in range(2)]
    for page in pages:
        html = page.content.decode("utf-8")
        assert page["Content-Type"] == "text/html; charset=utf-8"
        assert html.index("Почему ✓ — «кавычки»?") < html.index("Ответ: 日本語 и ёлка…")
        assert html.index("Ответ: 日本語 и ёлка…") < html.index('id="answer-form"')
        assert "\x00" not in html and html.count("Ответ: 日本語 и ёлка…") == 1


@pytest.mark.parametrize("path", ["/", "/hot/", "/tag/python/", "/tag/nosuchtag/", "/user/alice/"])
def test_a_kept_list_reads_nothing_but_the_session(alice, carol, path):
    make_question(alice, tags=["python"])
    reader = client_for(carol)
    first, _ = queries_of_get(reader, path)
    again, page = queries_of_get(reader, path)
    assert len(again) == 1 and '"accounts_session"' in again[0], again
    assert len(first) > 1
    if path == "/tag/python/":  # its live channel, from the kept tag id
        from qa.models import Tag

        channel = f'data-channel="tag-{Tag.objects.get(name="python").pk}"'
        assert channel in page.content.decode()


def test_the_author_s_delete_link_follows_the_answers_scores(alice, bob, carol):
    question = make_question(alice)
    answer = make_answer(question, bob)
    url = question.get_absolute_url()
    author = client_for(alice)
    author.get(url)
    sql, page = queries_of_get(author, url)
    assert "delete question" in page.content.decode()
    assert len(sql) == 1  # the session with the member and the viewer's votes
    vote_set(user=carol, target=answer, value=1)  # the answerers' work would go with it
    assert "delete question" not in author.get(url).content.decode()
    vote_set(user=carol, target=answer, value=0)
    assert "delete question" in author.get(url).content.decode()


def test_a_kept_question_page_keeps_its_own_urls(alice, carol):
    first, second = make_question(alice), make_question(alice, title="Another one, kept too?")
    reader = client_for(carol)
    for question in (first, second, first, second):  # the second time from kept parts
        html = reader.get(question.get_absolute_url()).content.decode()
        assert f'data-live-url="/question/{question.pk}/live/"' in html
        assert f'data-typing-url="/question/{question.pk}/typing/"' in html
        assert f'<form method="post" action="/question/{question.pk}/" novalidate>' in html


def _cache_reads(monkeypatch) -> list[str]:
    """The keys this process reads from the shared cache from now on."""
    keys: list[str] = []
    read = cache.get

    def get(key, *args, **kwargs):
        keys.append(key)
        return read(key, *args, **kwargs)

    monkeypatch.setattr(cache, "get", get)
    return keys


def test_a_page_reads_the_generation_once_unless_it_moves_it(alice, bob, carol, monkeypatch):
    question = make_question(alice)
    url = question.get_absolute_url()
    reader = client_for(carol)
    reader.get(url)
    keys = _cache_reads(monkeypatch)
    assert reader.get(url).status_code == 200
    assert keys.count(GENERATION_KEY) == 1  # the parts and the sidebar: one read between them

    # After a write, the page it leads to shows it (inside one request: the test below).
    keys.clear()
    posted = csrf_post(client_for(bob), url, {"text": "Seen by the request that wrote it."})
    assert posted.status_code == 302
    page = client_for(bob).get(posted["Location"])
    assert "Seen by the request that wrote it." in page.content.decode()

    # Outside a request (a task, a command) every read asks the cache.
    keys.clear()
    first = site_generation()
    cache.set(GENERATION_KEY, "moved-elsewhere", None)
    assert site_generation() == "moved-elsewhere" != first
    assert keys.count(GENERATION_KEY) == 2


def test_a_write_inside_a_request_moves_that_request_s_generation(rf_request_started):
    before = site_generation()
    assert site_generation() == before  # the request's own value
    cache.set(GENERATION_KEY, "moved-by-another-process", None)
    assert site_generation() == before  # one page, one generation
    site_changed()  # this request wrote
    after = site_generation()
    assert after not in (before, "moved-by-another-process")
    assert cache.get(GENERATION_KEY) == after


@pytest.fixture
def rf_request_started():
    """Inside a request, as the handler starts and ends one."""
    from django.core.signals import request_finished, request_started

    request_started.send(sender=None)
    yield
    request_finished.send(sender=None)
