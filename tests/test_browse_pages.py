"""The browse pages: Unanswered, /tags/ and /users/."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from qa.models import Answer, Question
from qa.services import answer_delete, question_delete

from .helpers import client_for, make_answer, make_question, make_user, queries_of_get

pytestmark = pytest.mark.django_db
User = get_user_model()
FETCH = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}


def titles(response) -> list[str]:
    return [q.title for q in response.context["page"].object_list]


# --- Unanswered ---


def test_unanswered_lists_questions_without_a_positive_or_accepted_answer(alice, bob):
    none = make_question(alice, title="No answer at all")
    zero = make_question(alice, title="Only a zero-score answer")
    make_answer(zero, bob, rating=0)
    negative = make_question(alice, title="Only a downvoted answer")
    make_answer(negative, bob, rating=-2)
    upvoted = make_question(alice, title="Has an upvoted answer")
    make_answer(upvoted, bob, rating=1)
    accepted = make_question(alice, title="Has an accepted answer")
    make_answer(accepted, bob, rating=0, is_correct=True)
    revived = make_question(alice, title="Its upvoted answer was deleted")
    answer_delete(answer=make_answer(revived, bob, rating=3), by=bob)
    gone = make_question(alice, title="Deleted question")
    question_delete(question=gone, by=alice)

    response = client_for().get("/unanswered/")
    assert response.status_code == 200
    assert titles(response) == [
        "Its upvoted answer was deleted",
        "Only a downvoted answer",
        "Only a zero-score answer",
        "No answer at all",
    ]
    assert none.pk and upvoted.pk and accepted.pk
    body = response.content.decode()
    assert '<h1 class="h3 mb-0 me-auto">Unanswered questions</h1>' in body
    assert 'class="nav-link active" href="/unanswered/">Unanswered</a>' in body


def test_unanswered_follows_new_questions_and_upvotes_at_once(alice, bob):
    open_one = make_question(alice, title="Open one")
    assert titles(client_for().get("/unanswered/")) == ["Open one"]
    make_question(alice, title="Newer one")  # a new question starts a new cached list
    assert titles(client_for().get("/unanswered/")) == ["Newer one", "Open one"]
    answer = make_answer(open_one, bob)
    Answer.objects.filter(pk=answer.pk).update(rating=1)  # the cached ids are re-checked
    assert titles(client_for().get("/unanswered/")) == ["Newer one"]


def test_unanswered_tab_sits_next_to_new_and_hot(db):
    body = client_for().get("/").content.decode()
    assert body.index(">New</a>") < body.index(">Hot</a>") < body.index(">Unanswered</a>")


@pytest.mark.parametrize("page,expected", [("abc", 1), ("0", 1), ("99", 2), ("2", 2)])
def test_unanswered_pagination_takes_any_page(alice, page, expected):
    for i in range(25):
        make_question(alice, title=f"Open question {i}")
    response = client_for().get("/unanswered/", {"page": page})
    assert response.status_code == 200 and response.context["page"].number == expected


def test_unanswered_uses_constant_queries(alice, bob):
    make_question(alice)
    few = len(queries_of_get(client_for(), "/unanswered/")[0])
    for i in range(30):
        question = make_question(alice, title=f"Open {i}", tags=[f"t{i}", "python"])
        make_answer(question, bob, rating=-1)
    sql, response = queries_of_get(client_for(), "/unanswered/")
    assert len(sql) == few and len(response.context["page"].object_list) == 20


# --- Tags ---


def test_tags_page_counts_and_orders_by_popularity(alice, bob):
    make_question(alice, title="One", tags=["python", "django"])
    make_question(alice, title="Two", tags=["python"])
    old = make_question(bob, title="Three", tags=["python", "rust"])
    Question.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=30))
    question_delete(question=make_question(bob, title="Gone", tags=["rust", "spam"]), by=bob)

    response = client_for().get("/tags/")
    assert response.status_code == 200
    stats = [(t.name, t.questions, t.this_week) for t in response.context["page"].object_list]
    # every tag, the deleted question counted nowhere, ties by name
    assert stats == [("python", 3, 2), ("django", 1, 1), ("rust", 1, 0), ("spam", 0, 0)]
    body = response.content.decode()
    assert 'href="/tag/python/"' in body and "4 tags" in body


def test_a_new_question_shows_in_the_tag_counts_at_once(alice):
    make_question(alice, tags=["python"])
    assert client_for().get("/tags/").context["page"].object_list[0].questions == 1
    make_question(alice, title="Another", tags=["python"])
    assert client_for().get("/tags/").context["page"].object_list[0].questions == 2


def test_tags_filter_narrows_and_escapes(alice):
    make_question(alice, tags=["python", "cpython", "django"])
    response = client_for().get("/tags/", {"q": " PYTH "})
    assert [t.name for t in response.context["page"].object_list] == ["cpython", "python"]
    assert 'value="PYTH"' in response.content.decode()
    evil = client_for().get("/tags/", {"q": "<script>alert(1)</script>"})
    body = evil.content.decode()
    assert evil.status_code == 200 and "<script>alert(1)" not in body
    assert "No tag contains “&lt;script&gt;alert(1)&lt;/script&gt;”" in body


def test_the_filter_script_gets_the_list_alone(alice):
    make_question(alice, tags=["python", "django"])
    fragment = client_for().get("/tags/", {"q": "dj"}, **FETCH)
    body = fragment.content.decode()
    assert body.startswith('<div id="tag-list"') and "<html" not in body
    assert "django" in body and "python" not in body
    assert "X-Requested-With" in fragment["Vary"]
    page = client_for().get("/tags/", {"q": "dj"}).content.decode()
    assert "<html" in page and "list_filter.js" in page


def test_tags_are_paginated(alice):
    for i in range(40):
        make_question(alice, title=f"Q{i}", tags=[f"tag{i:02d}"])
    first = client_for().get("/tags/")
    assert len(first.context["page"].object_list) == 36
    assert 'href="?page=2"' in first.content.decode()
    last = client_for().get("/tags/", {"page": "999", "q": "tag"})
    assert last.context["page"].number == 2 and len(last.context["page"].object_list) == 4
    assert 'href="?page=1&amp;q=tag"' in last.content.decode()


def test_tags_are_read_from_the_cache_after_the_first_request(alice):
    for i in range(5):
        make_question(alice, title=f"Q{i}", tags=[f"t{i}", "python"])
    first, _ = queries_of_get(client_for(), "/tags/")
    assert any("qa_question_tags" in sql for sql in first)
    again, _ = queries_of_get(client_for(), "/tags/", {"q": "t", "page": "1"})
    assert again == []  # anonymous, cached: no SQL at all


# --- Users ---


def test_users_page_lists_active_members_with_counts(alice, bob, carol):
    question = make_question(alice)
    make_question(alice, title="Second")
    make_answer(question, bob)
    make_answer(question, bob)
    answer_delete(answer=make_answer(question, bob), by=bob)
    make_user("banned", is_active=False)
    response = client_for().get("/users/")
    assert response.status_code == 200
    people = {p.username: (p.questions_total, p.answers_total) for p in response.context["people"]}
    assert people == {"alice": (2, 0), "bob": (0, 2), "carol": (0, 0)}
    body = response.content.decode()
    assert 'href="/user/alice/"' in body and "2 questions" in body and "2 answers" in body
    assert "banned" not in body


def test_users_filter_by_username_or_display_name(alice, bob):
    bob.profile.display_name = "Robert <Builder>"
    bob.profile.save()
    by_name = client_for().get("/users/", {"q": "ROBERT"})
    assert [p.username for p in by_name.context["people"]] == ["bob"]
    assert "Robert &lt;Builder&gt;" in by_name.content.decode()
    by_username = client_for().get("/users/", {"q": "ali"})
    assert [p.username for p in by_username.context["people"]] == ["alice"]
    nobody = client_for().get("/users/", {"q": "zzz"}, **FETCH)
    assert "Nobody matches “zzz”" in nobody.content.decode()


def test_users_new_members_tab_and_bad_order(alice, bob, carol):
    User.objects.filter(pk=alice.pk).update(date_joined=timezone.now() - timedelta(days=3))
    new = client_for().get("/users/", {"order": "new"})
    assert [p.username for p in new.context["people"]] == ["carol", "bob", "alice"]
    assert 'class="nav-link active" href="/users/?order=new"' in new.content.decode()
    odd = client_for().get("/users/", {"order": "'; drop table", "page": "x"})
    assert odd.status_code == 200
    assert [p.username for p in odd.context["people"]] == ["alice", "bob", "carol"]


def test_users_page_uses_constant_queries(alice, bob):
    make_question(alice)
    few = len(queries_of_get(client_for(), "/users/")[0])
    for i in range(40):
        member = make_user(f"member{i:02d}")
        make_answer(make_question(member, title=f"Q{i}"), alice)
    sql, response = queries_of_get(client_for(), "/users/")
    assert len(sql) == few and len(response.context["people"]) == 36
    assert 'href="?page=2"' in response.content.decode()


def test_nav_links_to_tags_users_and_moderation_for_staff(alice):
    page = client_for().get("/").content.decode()
    assert 'href="/tags/"' in page and 'href="/users/"' in page and "/admin/" not in page
    staff = make_user("mod", is_staff=True)
    assert 'href="/admin/">Moderation' in client_for(staff).get("/").content.decode()
