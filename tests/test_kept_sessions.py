"""A worker keeps a member's session as it read it (with their user, profile and a page's votes)
until the next write to a shown table or to a session (accounts.sessions, core.generation
.KeptUnderGeneration): between two writes a member's pages read nothing from the database, and
no write leaves a worker answering from a stale copy: a logout, a password changed elsewhere,
a vote.

These tests commit (transactional_db), as a site does: rows read by a transaction that has
written are never kept, and every other test runs inside one.
"""

import html
import json
import re

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.models import Profile
from accounts.sessions import SessionStore, joined_user

from .helpers import client_for, csrf_post, make_answer, make_question, make_user, queries_of_get

pytestmark = pytest.mark.django_db(transaction=True)


def my_votes(page) -> dict:
    found = re.search(r'data-my-votes="([^"]*)"', page.content.decode())
    return json.loads(html.unescape(found.group(1)))


def copy_of(client):
    """A client with the same session and CSRF cookies in a jar of its own (another tab, a
    copied cookie): what one of them is told to forget, the other still sends."""
    other = client_for()
    for name in (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME):
        other.cookies[name] = client.cookies[name].value
    return other


def test_a_member_s_pages_between_two_writes_read_nothing():
    alice, bob = make_user("alice"), make_user("bob")
    question = make_question(alice)
    answer = make_answer(question, alice)
    reader = client_for(bob)
    url = question.get_absolute_url()
    for path in ("/", url, "/user/alice/"):
        first, _ = queries_of_get(reader, path)
        again, page = queries_of_get(reader, path)
        assert first and again == [], (path, again)
        assert 'href="/user/bob/"' in page.content.decode()  # still bob's own navbar
    assert my_votes(reader.get(url)) == {}
    # His vote is a write: the page after it reads his votes again, and shows it.
    response = csrf_post(reader, f"/answer/{answer.pk}/vote/", {"value": 1})
    assert response.status_code == 200, response.content
    sql, page = queries_of_get(reader, url)
    assert len(sql) >= 1 and my_votes(page) == {str(answer.pk): 1}
    again, page = queries_of_get(reader, url)
    assert again == [] and my_votes(page) == {str(answer.pk): 1}


def test_each_member_gets_their_own_kept_rows():
    """Kept by session: members reading the same page in turn each get their own navbar and
    votes, never the other's."""
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    question = make_question(carol)
    answer = make_answer(question, carol)
    readers = {"alice": client_for(alice), "bob": client_for(bob)}
    csrf_post(readers["alice"], f"/answer/{answer.pk}/vote/", {"value": 1})
    csrf_post(readers["bob"], f"/answer/{answer.pk}/vote/", {"value": -1})
    url = question.get_absolute_url()
    for name in ("alice", "bob"):
        queries_of_get(readers[name], url)
    for _ in range(2):
        for name, vote in (("alice", 1), ("bob", -1)):
            sql, page = queries_of_get(readers[name], url)
            assert sql == [] and my_votes(page) == {str(answer.pk): vote}
            assert f'href="/user/{name}/"' in page.content.decode()


def test_a_logout_ends_the_session_a_worker_kept():
    """The session's row deleted by a logout (on another tab, or another worker) moves the
    generation: a copy kept of it never lets its cookie in again."""
    alice = make_user("alice")
    tab = client_for(alice)
    queries_of_get(tab, "/")
    other_tab = copy_of(tab)
    again, page = queries_of_get(tab, "/")
    assert again == [] and 'href="/user/alice/"' in page.content.decode()
    assert csrf_post(other_tab, "/logout/").status_code == 302
    _, page = queries_of_get(tab, "/")
    assert 'href="/user/alice/"' not in page.content.decode()
    assert 'href="/login/' in page.content.decode()


def test_a_password_changed_elsewhere_ends_the_session_a_worker_kept():
    alice = make_user("alice")
    browser = client_for(alice)
    queries_of_get(browser, "/")
    alice.set_password("another-pass-word-456")  # elsewhere: the admin, another device
    alice.save()
    _, page = queries_of_get(browser, "/")
    assert 'href="/user/alice/"' not in page.content.decode()


def test_the_navbar_shows_what_changed_since():
    alice = make_user("alice")
    browser = client_for(alice)
    _, page = queries_of_get(browser, "/")
    assert (
        'id="inbox-count" class="badge rounded-pill text-bg-danger" hidden>'
        in page.content.decode()
    )
    # A notification written elsewhere (a task, another member's answer), and a new name.
    Profile.objects.filter(user=alice).update(inbox_unread=7, display_name="Alice Liddell")
    sql, page = queries_of_get(browser, "/")
    assert sql
    assert 'id="inbox-count" class="badge rounded-pill text-bg-danger">7<' in page.content.decode()
    assert "Alice Liddell" in page.content.decode()


def test_each_read_gets_its_own_objects():
    """What one request changes on the member it was given (a form that failed, say) never
    reaches the next: the objects are made afresh from the kept rows."""
    alice = make_user("alice", first_name="Alice")
    store = SessionStore()
    store[SESSION_KEY] = str(alice.pk)
    store.save()
    SessionStore(store.session_key).load()
    first = joined_user(alice.pk)
    first.first_name = "Mallory"
    first.profile.reputation = 999
    with CaptureQueriesContext(connection) as ctx:
        SessionStore(store.session_key).load()
    second = joined_user(alice.pk)
    assert ctx.captured_queries == []  # from the kept rows
    assert second is not first and second.first_name == "Alice"
    assert second.profile is not first.profile and second.profile.reputation != 999


def test_rows_read_by_a_transaction_that_wrote_are_not_kept():
    """A transaction that wrote may still roll back: what it read is never kept."""
    alice = make_user("alice")
    store = SessionStore()
    store[SESSION_KEY] = str(alice.pk)
    store.save()

    def reads() -> int:
        with CaptureQueriesContext(connection) as ctx:
            SessionStore(store.session_key).load()
        return len(ctx.captured_queries)

    with pytest.raises(RuntimeError), transaction.atomic():
        Profile.objects.filter(user=alice).update(reputation=4321)
        assert reads() == 1 and joined_user(alice.pk).profile.reputation == 4321
        assert reads() == 1
        raise RuntimeError("rolled back")
    assert reads() == 1 and joined_user(alice.pk).profile.reputation != 4321
    assert reads() == 0 and joined_user(alice.pk).profile.reputation != 4321


def test_nothing_is_kept_while_the_cache_cannot_answer(settings):
    """No generation, nothing kept: no write could tell the worker its copy is stale."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    alice = make_user("alice")
    browser = client_for(alice)
    queries_of_get(browser, "/")
    again, _ = queries_of_get(browser, "/")
    assert any('"accounts_session"' in sql for sql in again)


def test_a_logout_the_cache_could_not_announce_ends_the_session_within_the_bound(monkeypatch):
    """The generation's write refused (the cache answers reads but not writes): a copy is kept
    for max_age seconds at most, and the cookie is refused once that has passed."""
    from accounts import sessions
    from core import generation, localcache

    alice = make_user("alice")
    tab = client_for(alice)
    queries_of_get(tab, "/")
    other_tab = copy_of(tab)

    def refused(*args, **kwargs):
        raise ConnectionError("the cache refuses writes")

    with monkeypatch.context() as patched:
        patched.setattr(generation.cache, "set", refused)
        assert csrf_post(other_tab, "/logout/").status_code == 302
    again, page = queries_of_get(tab, "/")
    assert again == [] and 'href="/user/alice/"' in page.content.decode()  # the copy, for now
    later = localcache.time.time() + sessions._KEPT.max_age + 0.1
    monkeypatch.setattr(localcache.time, "time", lambda: later)
    _, page = queries_of_get(tab, "/")
    assert 'href="/user/alice/"' not in page.content.decode()
