"""Reputation privileges: the open and strict presets, refused with the threshold explained."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from accounts.models import Profile
from qa.models import Comment

from .helpers import client_for, csrf_post, make_answer, make_question, make_user

pytestmark = pytest.mark.django_db
JSON = {"HTTP_ACCEPT": "application/json"}
ROOT = Path(__file__).resolve().parent.parent


def set_rep(user, value: int) -> None:
    Profile.objects.filter(user=user).update(reputation=value)


def test_open_preset_lets_newcomers_vote_and_comment(alice, bob):
    answer = make_answer(make_question(alice), alice)
    client = client_for(bob)
    down = csrf_post(client, f"/answer/{answer.pk}/vote/", {"value": "-1"})
    assert down.status_code == 200 and down.json()["rating"] == -1
    comment = csrf_post(client, f"/answer/{answer.pk}/comments/", {"text": "Why so?"}, **JSON)
    assert comment.status_code in (200, 201) and Comment.objects.count() == 1


def test_strict_preset_explains_each_threshold(alice, bob, settings):
    settings.REPUTATION_PRIVILEGES = "strict"
    question = make_question(alice)
    answer = make_answer(question, alice)
    client = client_for(bob)
    down = csrf_post(client, f"/answer/{answer.pk}/vote/", {"value": "-1"})
    assert down.status_code == 403
    assert down.json()["error"].startswith("Voting down needs 125 reputation; you have 1.")
    assert csrf_post(client, f"/answer/{answer.pk}/vote/", {"value": "1"}).status_code == 200
    comment = csrf_post(client, f"/question/{question.pk}/comments/", {"text": "Hm, why?"}, **JSON)
    assert comment.status_code == 400
    assert "Commenting on other people's posts needs 50 reputation" in comment.json()["error"]
    assert Comment.objects.count() == 0

    own = make_question(bob, title="My own question")
    mine = csrf_post(client, f"/question/{own.pk}/comments/", {"text": "Edit: solved"}, **JSON)
    assert mine.status_code in (200, 201)  # always on one's own posts

    set_rep(bob, 125)
    assert csrf_post(client, f"/answer/{answer.pk}/vote/", {"value": "-1"}).status_code == 200
    again = csrf_post(client, f"/question/{question.pk}/comments/", {"text": "Hm, why?"}, **JSON)
    assert again.status_code in (200, 201)


def test_staff_are_never_refused(alice, settings):
    settings.REPUTATION_PRIVILEGES = "strict"
    answer = make_answer(make_question(alice), alice)
    mod = make_user("mod", is_staff=True)
    assert csrf_post(client_for(mod), f"/answer/{answer.pk}/vote/", {"value": "-1"}).status_code
    assert client_for(mod).get(f"/answer/{answer.pk}/edit/").status_code == 200


def test_editing_others_posts_from_2000(alice, bob):
    question = make_question(alice)
    refused = client_for(bob).get(f"/question/{question.pk}/edit/")
    assert refused.status_code == 403
    assert "Editing other people&#x27;s posts needs 2,000 reputation; you have 1." in (
        refused.content.decode()
    )
    set_rep(bob, 2000)
    assert client_for(bob).get(f"/question/{question.pk}/edit/").status_code == 200
    done = csrf_post(
        client_for(bob),
        f"/question/{question.pk}/edit/",
        {"title": "A clearer title for it", "text": question.text, "tags": "python"},
    )
    assert done.status_code == 302
    question.refresh_from_db()
    assert question.title == "A clearer title for it"
    assert question.revisions.first().author == bob


def test_an_unknown_preset_is_refused_at_start():
    env = {**os.environ, "REPUTATION_PRIVILEGES": "lenient"}
    run = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert run.returncode != 0
    assert "REPUTATION_PRIVILEGES must be open or strict" in run.stderr


def test_the_edit_link_shows_from_the_threshold(alice, bob):
    """Posts are rendered the same for everybody; the page tells owner.js whether this viewer
    may edit others' posts, and it then shows their edit links."""
    question = make_question(alice)
    flag = 'data-may-edit-others="1"'
    assert flag not in client_for(bob).get(question.get_absolute_url()).content.decode()
    set_rep(bob, 2000)
    assert flag in client_for(bob).get(question.get_absolute_url()).content.decode()
    assert flag not in client_for().get(question.get_absolute_url()).content.decode()
    assert (
        'class="owner-only edit-link d-none"'
        in client_for(bob).get(question.get_absolute_url()).content.decode()
    )
