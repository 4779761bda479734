"""Password reset by e-mail, password change, account deletion and the data download."""

import json
import re

import pytest
from django.contrib.auth import get_user_model

from community.models import Flag
from qa.models import AnswerVote, Comment

from .helpers import client_for, csrf_post, mails_in, make_answer, make_question, make_user

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def file_mail(settings, tmp_path):
    """The site's default: one file per message under a directory (var/mail in production)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    return tmp_path / "mail"


def test_password_reset_end_to_end_through_the_file_backend(alice, file_mail, settings):
    settings.SITE_URL = "http://askme.test"
    client = client_for()
    assert "Forgot your password?" in client.get("/login/").content.decode()
    response = csrf_post(client, "/password-reset/", {"email": "ALICE@example.com"})
    assert response.status_code == 302 and response["Location"] == "/password-reset/sent/"
    (message,) = mails_in(file_mail)
    assert "To: alice@example.com" in message
    assert "Subject: Reset your AskMe password" in message
    link = re.search(r"http://askme\.test(/password-reset/\S+/\S+/)", message).group(1)

    page = client.get(link, follow=True)  # Django swaps the token for a session and redirects
    assert page.status_code == 200 and "Choose a new password" in page.content.decode()
    form_url = page.redirect_chain[-1][0]
    mismatch = csrf_post(
        client, form_url, {"new_password1": "new-pass-phrase-1", "new_password2": "other"}
    )
    assert mismatch.status_code == 400
    assert "The two password fields didn’t match." in mismatch.content.decode()
    done = csrf_post(
        client,
        form_url,
        {"new_password1": "new-pass-phrase-1", "new_password2": "new-pass-phrase-1"},
    )
    assert done.status_code == 302 and done["Location"] == "/password-reset/done/"
    assert "you are logged in" in client.get("/password-reset/done/").content.decode()
    alice.refresh_from_db()
    assert alice.check_password("new-pass-phrase-1")

    reused = client_for().get(link, follow=True)
    assert "This link does not work" in reused.content.decode()


def test_reset_page_does_not_tell_whether_an_address_is_registered(alice, file_mail):
    known = csrf_post(client_for(), "/password-reset/", {"email": "alice@example.com"})
    unknown = csrf_post(client_for(), "/password-reset/", {"email": "nobody@example.com"})
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert len(mails_in(file_mail)) == 1  # only the real account got a mail


def test_reset_refuses_garbage_and_keeps_what_was_typed(db, file_mail):
    response = csrf_post(client_for(), "/password-reset/", {"email": "not an <address>"})
    body = response.content.decode()
    assert response.status_code == 400
    assert "Enter a valid email address." in body
    assert 'value="not an &lt;address&gt;"' in body
    assert mails_in(file_mail) == []


def test_reset_requests_are_throttled_per_address_and_per_mailbox(alice, file_mail, settings):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "password_reset": (2, 3600)}
    client = client_for()
    for _ in range(2):
        assert csrf_post(client, "/password-reset/", {"email": "alice@example.com"}).status_code
    refused = csrf_post(client, "/password-reset/", {"email": "alice@example.com"})
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert "too often" in refused.content.decode()
    assert 'value="alice@example.com"' in refused.content.decode()
    # Another address (another client) asking for the same mailbox is refused as well.
    other = client_for()
    elsewhere = csrf_post(
        other, "/password-reset/", {"email": "Alice@example.com"}, REMOTE_ADDR="10.0.0.9"
    )
    assert elsewhere.status_code == 429
    assert len(mails_in(file_mail)) == 2


def test_reset_is_not_sent_to_a_deleted_account(alice, file_mail):
    email = alice.email
    csrf_post(client_for(alice), "/account/delete/", {"password": "pass-word-123", "confirm": "on"})
    csrf_post(client_for(), "/password-reset/", {"email": email})
    assert mails_in(file_mail) == []


def test_password_change_needs_the_old_password_and_keeps_the_session(alice):
    client = client_for(alice)
    assert client.get("/password-change/").status_code == 200
    wrong = csrf_post(
        client,
        "/password-change/",
        {"old_password": "nope", "new_password1": "brand-new-phrase", "new_password2": "x"},
    )
    assert wrong.status_code == 400
    assert "Your old password was entered incorrectly" in wrong.content.decode()
    ok = csrf_post(
        client,
        "/password-change/",
        {
            "old_password": "pass-word-123",
            "new_password1": "brand-new-phrase",
            "new_password2": "brand-new-phrase",
        },
    )
    assert ok.status_code == 302 and ok["Location"] == "/profile/edit/"
    assert "Your password has been changed." in client.get("/profile/edit/").content.decode()
    alice.refresh_from_db()
    assert alice.check_password("brand-new-phrase")


def test_password_change_is_for_members_only(db):
    response = client_for().get("/password-change/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_delete_account_keeps_posts_shown_as_by_a_deleted_user(alice, bob):
    question = make_question(alice, title="Kept after the author leaves")
    answer = make_answer(question, bob)
    AnswerVote.objects.create(user=alice, answer=answer, value=1)
    Comment.objects.create(question=question, author=alice, text="hm", text_html="hm")
    other_session = client_for(alice)
    client = client_for(alice)
    assert client.get("/account/delete/").status_code == 200

    wrong = csrf_post(client, "/account/delete/", {"password": "nope", "confirm": "on"})
    assert wrong.status_code == 400 and "That is not your password." in wrong.content.decode()
    unticked = csrf_post(client, "/account/delete/", {"password": "pass-word-123"})
    assert unticked.status_code == 400 and "Tick the box" in unticked.content.decode()
    assert User.objects.get(pk=alice.pk).is_active

    done = csrf_post(client, "/account/delete/", {"password": "pass-word-123", "confirm": "on"})
    assert done.status_code == 302 and done["Location"] == "/"
    gone = User.objects.get(pk=alice.pk)
    assert gone.username == f"deleted-{alice.pk}" and gone.email == ""
    assert not gone.is_active and not gone.has_usable_password()
    assert question.votes.count() == 0 and AnswerVote.objects.filter(user=gone).count() == 1
    page = client.get(question.get_absolute_url()).content.decode()
    assert "Kept after the author leaves" in page
    assert "deleted user" in page and ">alice<" not in page
    # Logged out here and in every other session.
    assert "Log in" in client.get("/").content.decode()
    assert "Log in" in other_session.get("/").content.decode()
    assert client_for().login(username="alice", password="pass-word-123") is False


def test_deleted_usernames_cannot_be_taken_at_signup(db):
    data = {
        "username": "deleted-99",
        "email": "x@example.com",
        "password1": "a-long-pass-phrase",
        "password2": "a-long-pass-phrase",
    }
    response = csrf_post(client_for(), "/signup/", data)
    assert response.status_code == 400 and "reserved" in response.content.decode()


def test_download_my_data(alice, bob):
    question = make_question(alice, title="Mine <b>", tags=["python"])
    theirs = make_question(bob, title="Theirs")
    answer = make_answer(theirs, alice, text="My answer")
    make_answer(question, bob, text="Not mine")
    AnswerVote.objects.create(user=alice, answer=question.answers.get(), value=-1)
    Flag.objects.create(question=theirs, reporter=alice, reason="rude")
    response = client_for(alice).get("/account/data/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert 'attachment; filename="askme-alice.json"' == response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["profile"]["username"] == "alice"
    assert data["profile"]["email"] == "alice@example.com"
    assert [(q["title"], q["tags"]) for q in data["questions"]] == [("Mine <b>", ["python"])]
    assert [(a["id"], a["text"]) for a in data["answers"]] == [(answer.pk, "My answer")]
    assert data["votes"]["answers"] == [{"answer": question.answers.get().pk, "value": -1}]
    assert data["profile"]["reputation"] == 1
    assert [(f["question"], f["reason"]) for f in data["flags"]] == [(theirs.pk, "rude")]


def test_download_needs_login_and_is_get_only(alice):
    assert client_for().get("/account/data/")["Location"].startswith("/login/")
    assert csrf_post(client_for(alice), "/account/data/").status_code == 405


def test_another_member_is_unaffected_by_a_deletion(alice, bob):
    csrf_post(client_for(alice), "/account/delete/", {"password": "pass-word-123", "confirm": "on"})
    assert client_for(bob).get("/profile/edit/").status_code == 200
    assert make_user("alice").username == "alice"  # the name is free again
