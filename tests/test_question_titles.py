"""A title is one line: CR/LF in it once made the new-answer e-mail empty (a 0-byte file)."""

import pytest
from django.core import mail

from qa.models import Question

from .helpers import client_for, csrf_post

pytestmark = pytest.mark.django_db


def ask(user, title):
    data = {"title": title, "text": "Some text that is long enough to be a question.", "tags": ""}
    return csrf_post(client_for(user), "/ask/", data)


@pytest.mark.parametrize(
    "typed,stored",
    [
        ("Why does\r\nmy loop stop?", "Why does my loop stop?"),
        ("  Why\tdoes \n\n my   loop stop?\r", "Why does my loop stop?"),
        ("Why does\u2028my loop\x0bstop?\x85", "Why does my loop stop?"),
        ("Why does\x07 my loop\x1b stop?", "Why does my loop stop?"),
    ],
)
def test_title_whitespace_is_normalised_on_input(alice, typed, stored):
    assert ask(alice, typed).status_code == 302
    assert Question.objects.get().title == stored


def test_length_is_checked_after_normalising(alice):
    response = ask(alice, "a\r\n\r\n\r\n\r\n\r\nb")  # 12 characters typed, 3 after
    assert response.status_code == 400
    assert "at least 10 characters" in response.content.decode()
    assert not Question.objects.exists()


def test_answer_to_a_question_typed_with_crlf_sends_a_real_email(
    alice, bob, django_capture_on_commit_callbacks
):
    ask(alice, "Where did\r\nmy e-mail go?")
    question = Question.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = csrf_post(client_for(bob), question.get_absolute_url(), {"text": "Spam box."})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0].message().as_bytes()  # what a file or SMTP backend writes
    assert len(message) > 200
    assert mail.outbox[0].subject == "New answer to “Where did my e-mail go?”"
    assert "Spam box." in mail.outbox[0].body


def test_a_title_stored_before_the_rule_still_makes_a_one_line_subject(
    alice, bob, django_capture_on_commit_callbacks
):
    question = Question.objects.create(
        author=alice, title="Old title with\r\na line break", text="A question asked long ago."
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = csrf_post(client_for(bob), f"/question/{question.pk}/", {"text": "An answer."})
    assert response.status_code == 302
    assert [m.subject for m in mail.outbox] == ["New answer to “Old title with a line break”"]
