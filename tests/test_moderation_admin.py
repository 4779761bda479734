"""Moderation through Django's admin: staff only, soft delete/undelete, banning a spammer."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from qa.models import Answer, Comment, Question

from .helpers import client_for, csrf_post, make_answer, make_question, make_user

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def mod(db):
    """A moderator: staff, not a superuser, no explicit permissions."""
    return make_user("mod", is_staff=True)


def action(client, url: str, name: str, ids: list[int]):
    return csrf_post(client, url, {"action": name, "_selected_action": [str(i) for i in ids]})


def test_admin_is_for_staff_only(alice, mod):
    assert client_for().get("/admin/")["Location"].startswith("/admin/login/")
    refused = client_for(alice).get("/admin/qa/question/")
    assert refused.status_code == 302 and refused["Location"].startswith("/admin/login/")
    page = client_for(mod).get("/admin/")
    assert page.status_code == 200
    for name in ("Questions", "Answers", "Comments", "Tags", "Users", "Profiles"):
        assert name in page.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/admin/qa/question/",
        "/admin/qa/question/?state=deleted&q=alice",
        "/admin/qa/answer/?is_correct__exact=1",
        "/admin/qa/comment/?state=visible",
        "/admin/qa/tag/?q=py",
        "/admin/auth/user/?is_active__exact=0",
        "/admin/accounts/profile/?q=alice",
        "/admin/community/flag/?handled_at__isempty=1",
    ],
)
def test_every_list_answers_with_search_and_filters(alice, bob, mod, url):
    question = make_question(alice, tags=["python"])
    make_answer(question, bob)
    Comment.objects.create(question=question, author=bob, text="Nice", text_html="Nice")
    assert client_for(mod).get(url).status_code == 200


def test_lists_include_deleted_posts_and_stay_constant_in_queries(alice, bob, mod):
    client = client_for(mod)
    question = make_question(alice, title="First")
    make_answer(question, bob)
    with CaptureQueriesContext(connection) as few:
        client.get("/admin/qa/answer/")
    for n in range(10):
        make_answer(make_question(alice, title=f"Q{n}"), bob)
    Answer.objects.filter(pk=Answer.objects.first().pk).update(deleted_at="2026-01-01T00:00Z")
    with CaptureQueriesContext(connection) as many:
        page = client.get("/admin/qa/answer/")
    assert page.status_code == 200 and "11 answers" in page.content.decode()
    assert len(many) == len(few)


def test_soft_delete_and_undelete_keep_counts_right(alice, bob, mod):
    question = make_question(alice)
    answers = [make_answer(question, bob), make_answer(question, bob)]
    client = client_for(mod)
    response = action(client, "/admin/qa/answer/", "soft_delete", [a.pk for a in answers])
    assert response.status_code == 302
    question.refresh_from_db()
    assert question.answers_count == 0
    assert all(Answer.all_objects.get(pk=a.pk).deleted_by == mod for a in answers)
    action(client, "/admin/qa/answer/", "undelete", [answers[0].pk])
    question.refresh_from_db()
    assert question.answers_count == 1
    assert Answer.objects.filter(pk=answers[0].pk).exists()

    action(client, "/admin/qa/question/", "soft_delete", [question.pk])
    assert not Question.objects.filter(pk=question.pk).exists()
    assert client_for(bob).get(question.get_absolute_url()).status_code == 404
    action(client, "/admin/qa/question/", "undelete", [question.pk])
    assert client_for(bob).get(question.get_absolute_url()).status_code == 200


def test_no_hard_delete_and_no_edits_through_the_admin(alice, mod):
    question = make_question(alice)
    client = client_for(mod)
    refused = action(client, "/admin/qa/question/", "delete_selected", [question.pk])
    assert Question.all_objects.filter(pk=question.pk, deleted_at__isnull=True).exists()
    assert refused.status_code in (200, 302)
    assert client.get(f"/admin/qa/question/{question.pk}/delete/").status_code == 403
    view = client.get(f"/admin/qa/question/{question.pk}/change/")
    assert view.status_code == 200 and 'name="title"' not in view.content.decode()


def test_comment_moderation(alice, bob, mod):
    question = make_question(alice)
    comment = Comment.objects.create(question=question, author=bob, text="rude", text_html="rude")
    client = client_for(mod)
    action(client, "/admin/qa/comment/", "soft_delete", [comment.pk])
    comment.refresh_from_db()
    assert comment.deleted_at is not None
    action(client, "/admin/qa/comment/", "undelete", [comment.pk])
    comment.refresh_from_db()
    assert comment.deleted_at is None


def test_ban_a_spammer_deactivates_and_hides_their_posts(alice, bob, mod):
    spammer = make_user("spammer")
    spam = make_question(spammer, title="Buy cheap watches", tags=["spam"])
    honest = make_question(alice, title="A real question")
    spam_answer = make_answer(honest, spammer, text="Visit my shop")
    make_answer(honest, bob)
    Comment.objects.create(question=honest, author=spammer, text="shop!", text_html="shop!")
    session = client_for(spammer)
    response = action(client_for(mod), "/admin/auth/user/", "ban", [spammer.pk, mod.pk])
    assert response.status_code == 302
    spammer.refresh_from_db()
    assert not spammer.is_active
    assert not Question.objects.filter(pk=spam.pk).exists()
    assert not Answer.objects.filter(pk=spam_answer.pk).exists()
    assert Comment.objects.visible().filter(author=spammer).count() == 0
    honest.refresh_from_db()
    assert honest.answers_count == 1
    assert "Buy cheap watches" not in client_for().get("/").content.decode()
    assert "Log in" in session.get("/").content.decode()  # logged out everywhere
    assert User.objects.get(pk=mod.pk).is_active  # staff are never banned by the action


def test_a_moderator_cannot_change_accounts_but_a_superuser_can(alice, mod):
    page = client_for(mod).get(f"/admin/auth/user/{alice.pk}/change/")
    assert page.status_code == 200 and 'name="is_staff"' not in page.content.decode()
    promote = csrf_post(client_for(mod), f"/admin/auth/user/{alice.pk}/change/", {"is_staff": "on"})
    assert promote.status_code == 403
    root = User.objects.create_superuser("root", "root@example.com", "pass-word-123")
    page = client_for(root).get(f"/admin/auth/user/{alice.pk}/change/")
    assert 'name="is_staff"' in page.content.decode()


def test_staff_can_rename_a_tag_with_the_site_rules(alice, mod):
    question = make_question(alice, tags=["pyhton"])
    tag = question.tags.get()
    client = client_for(mod)
    assert "pyhton" in client.get("/tags/").content.decode()
    bad = csrf_post(client, f"/admin/qa/tag/{tag.pk}/change/", {"name": "Not Valid!"})
    assert bad.status_code == 200 and "is not valid" in bad.content.decode()
    good = csrf_post(client, f"/admin/qa/tag/{tag.pk}/change/", {"name": "python"})
    assert good.status_code == 302
    tag.refresh_from_db()
    assert tag.name == "python"
    assert 'href="/tag/python/"' in client.get("/tags/").content.decode()
