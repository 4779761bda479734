"""Flags: a member flags a post, staff see it in the queue and act; the record stays."""

import pytest

from community.models import Flag
from qa.models import Answer, Question

from .helpers import client_for, csrf_post, make_answer, make_question, make_user

pytestmark = pytest.mark.django_db
JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def mod(db):
    return make_user("mod", is_staff=True)


def test_flag_a_post_from_its_page(alice, bob):
    question = make_question(alice, title="Cheap <b>watches</b>")
    page = client_for(bob).get(question.get_absolute_url()).content.decode()
    assert f'href="/question/{question.pk}/flag/"' in page
    form = client_for(bob).get(f"/question/{question.pk}/flag/")
    assert form.status_code == 200 and "Cheap &lt;b&gt;watches&lt;/b&gt;" in form.content.decode()
    done = csrf_post(client_for(bob), f"/question/{question.pk}/flag/", {"reason": "spam"})
    assert done.status_code == 302 and done["Location"] == question.get_absolute_url()
    flag = Flag.objects.get()
    assert (flag.question, flag.reporter, flag.reason, flag.handled_at) == (
        question,
        bob,
        "spam",
        None,
    )
    again = csrf_post(client_for(bob), f"/question/{question.pk}/flag/", {"reason": "rude"}, **JSON)
    assert again.status_code == 200 and "already" in again.json()["message"]
    assert Flag.objects.count() == 1


def test_bad_flags_are_refused_with_a_reason(alice, bob):
    answer = make_answer(make_question(alice), bob)
    client = client_for(bob)
    own = csrf_post(client, f"/answer/{answer.pk}/flag/", {"reason": "spam"})
    assert own.status_code == 400 and "your own post" in own.content.decode()
    other = client_for(alice)
    garbage = csrf_post(other, f"/answer/{answer.pk}/flag/", {"reason": "boring"}, **JSON)
    assert garbage.status_code == 400 and garbage.json()["error"] == "Pick a reason."
    assert csrf_post(other, "/answer/999999/flag/", {"reason": "spam"}).status_code == 404
    guest = csrf_post(client_for(), f"/answer/{answer.pk}/flag/", {"reason": "spam"})
    assert guest.status_code == 302 and guest["Location"].startswith("/login/")
    assert Flag.objects.count() == 0


def test_queue_is_for_staff_only(alice):
    assert client_for().get("/moderation/flags/")["Location"].startswith("/login/")
    refused = client_for(alice).get("/moderation/flags/")
    assert refused.status_code == 403 and "for moderators" in refused.content.decode()


def test_queue_groups_flags_and_deleting_closes_them(alice, bob, carol, mod):
    spam = make_question(alice, title="Buy now")
    answer = make_answer(make_question(bob, title="Fine question"), alice, text="rude words")
    for reporter, reason in ((bob, "spam"), (carol, "spam"), (mod, "rude")):
        csrf_post(client_for(reporter), f"/question/{spam.pk}/flag/", {"reason": reason})
    csrf_post(client_for(carol), f"/answer/{answer.pk}/flag/", {"reason": "rude"})
    client = client_for(mod)
    queue = client.get("/moderation/flags/")
    body = queue.content.decode()
    assert queue.status_code == 200
    groups = queue.context["page"].object_list
    assert [(g["kind"], g["total"], g["spam"], g["rude"]) for g in groups] == [
        ("question", 3, 2, 1),
        ("answer", 1, 0, 1),
    ]
    assert "spam × 2" in body and "Buy now" in body and "carol" in body

    done = csrf_post(client, f"/moderation/flags/question/{spam.pk}/", {"action": "delete"})
    assert done.status_code == 302
    assert not Question.objects.filter(pk=spam.pk).exists()  # soft-deleted
    assert Question.all_objects.get(pk=spam.pk).deleted_by == mod
    assert set(Flag.objects.filter(question=spam).values_list("outcome", flat=True)) == {"deleted"}
    assert "3 flags closed" in client.get("/moderation/flags/").content.decode()

    csrf_post(client, f"/moderation/flags/answer/{answer.pk}/", {"action": "dismiss"})
    assert Answer.objects.filter(pk=answer.pk).exists()
    assert client.get("/moderation/flags/").context["page"].object_list == []
    record = client.get("/moderation/flags/", {"show": "handled"})
    rows = list(record.context["page"].object_list)
    assert len(rows) == 4 and {f.handled_by for f in rows} == {mod}
    assert "dismissed" in record.content.decode() and "post deleted" in record.content.decode()


def test_handling_refuses_garbage(alice, bob, mod):
    question = make_question(alice)
    csrf_post(client_for(bob), f"/question/{question.pk}/flag/", {"reason": "improve"})
    client = client_for(mod)
    odd = csrf_post(client, f"/moderation/flags/question/{question.pk}/", {"action": "nuke"})
    assert odd.status_code == 302 and Flag.objects.get().handled_at is None
    assert csrf_post(client, f"/moderation/flags/tag/{question.pk}/", {}).status_code == 404
    assert client.get(f"/moderation/flags/question/{question.pk}/").status_code == 405
    not_staff = csrf_post(
        client_for(bob), f"/moderation/flags/question/{question.pk}/", {"action": "delete"}
    )
    assert not_staff.status_code == 403 and Question.objects.filter(pk=question.pk).exists()


def test_fill_db_flush_clears_flags_and_reputation_history(alice, bob):
    """Superusers survive a flush; their history and flags must not (they point at posts)."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from community.models import ReputationEvent
    from qa.services import vote_set

    root = get_user_model().objects.create_superuser("root", "root@example.com", "pass-word-1")
    answer = make_answer(make_question(alice), bob)
    vote_set(user=root, target=answer, value=-1)  # root's own event: a downvote cast
    Flag.objects.create(answer=answer, reporter=root, reason="spam")
    call_command("fill_db", 2, "--flush", "--progress", "off", stdout=open("/dev/null", "w"))
    assert not ReputationEvent.objects.exists() and not Flag.objects.exists()
    assert Question.objects.count() == 20


def test_the_navbar_shows_moderation_links_to_staff_only(alice, mod):
    """The navbar's start is rendered once per process, language and staff flag
    ({% chrome %}): whoever comes first, the other kind never gets their copy."""
    for _ in range(2):
        assert 'href="/moderation/flags/"' in client_for(mod).get("/").content.decode()
        assert 'href="/moderation/flags/"' not in client_for(alice).get("/").content.decode()
        assert 'href="/moderation/flags/"' not in client_for().get("/").content.decode()
