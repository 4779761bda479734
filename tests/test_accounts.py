import io

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts.models import Session

from .helpers import (
    client_for,
    csrf_post,
    make_answer,
    make_question,
    make_user,
    queries_of_get,
)

pytestmark = pytest.mark.django_db
User = get_user_model()


def image_upload(name="a.png", size=(300, 200), fmt="PNG", color="red") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format=fmt)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=f"image/{fmt.lower()}")


def signup_data(**extra):
    data = {
        "username": "dave",
        "email": "dave@example.com",
        "password1": "a-long-pass-phrase",
        "password2": "a-long-pass-phrase",
    }
    data.update(extra)
    return data


def test_signup_logs_in_and_returns(db):
    client = client_for()
    response = csrf_post(client, "/signup/", signup_data(**{"continue": "/hot/"}))
    assert response.status_code == 302 and response["Location"] == "/hot/"
    assert "dave" in client.get("/").content.decode()
    assert User.objects.get(username="dave").profile.avatar.name == ""


def test_signup_with_avatar_reencodes_it(db):
    response = csrf_post(
        client_for(), "/signup/", signup_data(avatar=image_upload(size=(800, 600)))
    )
    assert response.status_code == 302
    avatar = User.objects.get(username="dave").profile.avatar
    assert avatar.name.endswith(".jpg")
    with Image.open(avatar.path) as stored:
        assert stored.format == "JPEG" and stored.size == (256, 256)


def test_signup_errors_keep_input(alice):
    data = signup_data(username="alice", password2="different-pass", email="new@example.com")
    response = csrf_post(client_for(), "/signup/", data)
    body = response.content.decode()
    assert response.status_code == 400
    assert "already exists" in body
    assert 'value="new@example.com"' in body
    assert "different-pass" not in body and "a-long-pass-phrase" not in body  # never echoed


def test_signup_refuses_an_email_in_use_in_any_case(alice):
    response = csrf_post(client_for(), "/signup/", signup_data(email=" ALICE@example.com"))
    assert response.status_code == 400
    assert "An account with this e-mail already exists." in response.content.decode()
    assert not User.objects.filter(username="dave").exists()


@pytest.mark.parametrize(
    "upload,message",
    [
        (SimpleUploadedFile("evil.png", b"<script>alert(1)</script>", "image/png"), "valid image"),
        (
            SimpleUploadedFile("big.png", b"\x89PNG" + b"0" * (2 * 1024 * 1024 + 10), "image/png"),
            "valid image",
        ),
    ],
)
def test_signup_rejects_non_images(db, upload, message):
    response = csrf_post(client_for(), "/signup/", signup_data(avatar=upload))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not User.objects.filter(username="dave").exists()


def test_too_many_pixels_rejected(alice, settings):
    settings.AVATAR_MAX_SIDE = 100
    client = client_for(alice)
    response = csrf_post(
        client,
        "/profile/edit/",
        {"email": "alice@example.com", "avatar": image_upload(size=(200, 50))},
    )
    assert response.status_code == 400
    assert "at most 100 px a side" in response.content.decode()


def test_oversized_file_rejected(alice, settings):
    settings.AVATAR_MAX_BYTES = 100
    response = csrf_post(
        client_for(alice),
        "/profile/edit/",
        {"email": "alice@example.com", "avatar": image_upload()},
    )
    assert response.status_code == 400
    assert "too large" in response.content.decode()


def test_login_continue_and_next(alice):
    for key in ("continue", "next"):
        client = client_for()
        response = csrf_post(
            client,
            f"/login/?{key}=/question/33/",
            {"username": "alice", "password": "pass-word-123"},
        )
        assert response.status_code == 302 and response["Location"] == "/question/33/"


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"]
)
def test_login_never_redirects_off_site(alice, target):
    response = csrf_post(
        client_for(),
        "/login/",
        {"username": "alice", "password": "pass-word-123", "continue": target},
    )
    assert response.status_code == 302 and response["Location"] == "/"


def test_login_form_shows_the_continue_target(db):
    body = client_for().get("/login/?continue=/question/33/").content.decode()
    assert 'name="continue" value="/question/33/"' in body


@pytest.mark.parametrize(
    "page,other", [("/login/", "/signup/"), ("/signup/", "/login/"), ("/login/", "/login/")]
)
def test_navbar_on_an_auth_page_leads_where_that_page_leads(alice, page, other):
    """Log in → navbar "Sign up" → sign up: back to the question, not to the log-in form."""
    client = client_for()
    body = client.get(f"{page}?next=/question/33/").content.decode()
    assert f'href="{other}?continue=/question/33/"' in body
    assert "continue=/login/" not in body and "continue=/signup/" not in body
    body = client.get(page).content.decode()
    assert f'href="{other}?continue=/"' in body


def test_logout_from_the_logout_page_does_not_come_back_to_it(alice):
    body = client_for(alice).get("/logout/?continue=/hot/").content.decode()
    assert 'name="continue" value="/hot/"' in body
    # (the footer's language switcher does come back here: it changes only the language)
    assert 'name="continue" value="/logout/' not in body


def test_wrong_password_keeps_username(alice):
    response = csrf_post(client_for(), "/login/", {"username": "alice", "password": "nope"})
    assert response.status_code == 400
    assert 'value="alice"' in response.content.decode()


def test_logout_returns_to_the_page(alice):
    client = client_for(alice)
    response = csrf_post(client, "/logout/", {"continue": "/hot/"})
    assert response.status_code == 302 and response["Location"] == "/hot/"
    assert "Log in" in client.get("/").content.decode()


def test_logout_by_get_only_asks(alice):
    client = client_for(alice)
    assert client.get("/logout/").status_code == 200
    assert "alice" in client.get("/").content.decode()


def test_profile_edit(alice, bob):
    client = client_for(alice)
    assert client.get("/profile/edit/").status_code == 200
    response = csrf_post(
        client,
        "/profile/edit/",
        {"email": "alice@new.example", "display_name": "Alice A.", "avatar": image_upload()},
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.email == "alice@new.example"
    assert alice.profile.display_name == "Alice A."
    assert alice.profile.avatar.url.startswith("/uploads/avatars/")
    taken = csrf_post(client, "/profile/edit/", {"email": "bob@example.com", "display_name": "x"})
    assert taken.status_code == 400 and "already exists" in taken.content.decode()


def test_profile_edit_requires_login(db):
    assert client_for().get("/profile/edit/")["Location"].startswith("/login/?next=")


def test_user_page_lists_questions_and_answers(alice, bob):
    question = make_question(alice, title="Alice asks a question")
    make_answer(make_question(bob, title="Bob asks something else"), alice)
    body = client_for().get("/user/alice/").content.decode()
    assert question.title in body
    assert "Bob asks something else" in body
    assert client_for().get("/user/nobody/").status_code == 404


@pytest.mark.parametrize("username", [".", "..", "_-."])
def test_signup_rejects_usernames_without_letters_or_digits(db, username):
    response = csrf_post(client_for(), "/signup/", signup_data(username=username))
    assert response.status_code == 400
    assert "at least one letter or digit" in response.content.decode()
    assert not User.objects.filter(username=username).exists()


# --- The session's member (accounts/backends.py SessionUserBackend, cached_db sessions) ---


def test_a_member_page_reads_the_member_and_profile_in_one_query(alice):
    client = client_for()
    csrf_post(client, "/login/", {"username": "alice", "password": "pass-word-123"})
    assert client.session["_auth_user_backend"] == "accounts.backends.SessionUserBackend"
    sql, response = queries_of_get(client, "/tags/")
    # The session, its member and their profile: one statement.
    members = [q for q in sql if '"auth_user"' in q or '"accounts_session"' in q]
    assert len(members) == 1 and 'FROM "accounts_session"' in members[0]
    assert '"accounts_profile"' in members[0]
    assert not any(q.startswith('SELECT "accounts_profile"') for q in sql)
    assert 'href="/user/alice/"' in response.content.decode()


def test_the_member_read_with_a_session_serves_only_that_session(alice, bob):
    from django.contrib.auth import SESSION_KEY

    from accounts.sessions import SessionStore, joined_user

    store = SessionStore()
    store[SESSION_KEY] = str(alice.pk)
    store.save()
    assert Session.objects.get(pk=store.session_key).user_id == alice.pk
    read = SessionStore(store.session_key)
    read.load()
    assert joined_user(bob.pk) is None  # another member's id: read again by the backend
    member = joined_user(alice.pk)
    assert member.pk == alice.pk and member.profile.user_id == alice.pk
    assert joined_user(alice.pk) is None  # taken once
    read.load()
    SessionStore()  # the next request's store
    assert joined_user(alice.pk) is None


def test_rows_read_along_are_the_session_member_s_own(alice, bob):
    """accounts.sessions.read_along: the member's votes come in the session's statement, for the
    member that session names, and only when the session is read inside the block."""
    from datetime import timedelta

    from django.contrib.auth import SESSION_KEY
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from accounts.sessions import ReadAlong, SessionStore, read_along
    from qa.models import votes_sql
    from qa.services import vote_set

    question = make_question(bob)
    answers = [make_answer(question, bob, text=f"answer number {i}") for i in range(3)]
    vote_set(user=alice, target=answers[1], value=-1)
    vote_set(user=alice, target=question, value=1)
    vote_set(user=make_user("carol"), target=answers[2], value=1)
    ids = [a.pk for a in answers]

    def session_of(user, **expiry) -> str:
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        if expiry:
            store.set_expiry(timezone.now() + timedelta(**expiry))
        store.save()
        return store.session_key

    def along_read(key: str) -> ReadAlong:
        build = lambda member, params: votes_sql(member, params, question.pk, ids)  # noqa: E731
        with read_along(ReadAlong(build, width=2)) as along:
            with CaptureQueriesContext(connection) as ctx:
                SessionStore(key).load()
        assert len(ctx.captured_queries) == 1
        return along

    along = along_read(session_of(alice))
    assert along.member_id == alice.pk
    assert sorted(along.rows) == [(0, 1), (answers[1].pk, -1)]
    assert along_read(session_of(bob)).rows == []  # his own votes only (none), not others'
    expired = along_read(session_of(alice, seconds=-5))
    assert expired.rows is None and expired.member_id is None
    assert along_read("no-such-session-key-here").rows is None
    anonymous = SessionStore()
    anonymous["django_language"] = "ru"
    anonymous.save()
    assert along_read(anonymous.session_key).member_id is None  # nobody's votes
    outside = ReadAlong(lambda member, params: ("SELECT 1, 1", []), width=2)
    SessionStore(session_of(alice)).load()  # not inside read_along: nothing read for it
    assert outside.rows is None


def test_an_anonymous_session_names_nobody(db):
    from accounts.sessions import SessionStore, joined_user

    store = SessionStore()
    store["django_language"] = "ru"
    store.save()
    assert Session.objects.get(pk=store.session_key).user_id is None
    SessionStore(store.session_key).load()
    assert joined_user(None) is None


def test_django_sessions_are_copied_with_their_member(alice):
    """Migration 0006: members logged in before the deploy stay logged in."""
    import importlib
    from datetime import timedelta

    from django.apps import apps
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore as DjangoStore
    from django.utils import timezone

    from accounts.backends import SESSION_BACKEND

    copy_sessions = importlib.import_module("accounts.migrations.0006_session").copy_sessions
    logged_in = {
        SESSION_KEY: str(alice.pk),
        BACKEND_SESSION_KEY: SESSION_BACKEND,
        HASH_SESSION_KEY: alice.get_session_auth_hash(),
    }
    stores = []
    for data in (logged_in, {SESSION_KEY: "999999"}, {"x": 1}):
        store = DjangoStore()
        store.update(data)
        store.save()
        stores.append(store.session_key)
    expired = DjangoStore()
    expired.set_expiry(timezone.now() - timedelta(seconds=1))
    expired.save()
    copy_sessions(apps, None)
    copied = dict(Session.objects.values_list("session_key", "user_id"))
    assert copied == {stores[0]: alice.pk, stores[1]: None, stores[2]: None}
    client = client_for()
    client.cookies["sessionid"] = stores[0]
    assert 'href="/user/alice/"' in client.get("/tags/").content.decode()


def test_a_deleted_account_has_no_sessions_left(alice):
    from accounts.services import account_delete

    client = client_for(alice)
    assert Session.objects.filter(user=alice).exists()
    account_delete(user=alice)
    assert not Session.objects.filter(user=alice).exists()
    assert "Log in" in client.get("/").content.decode()


def test_sessions_made_before_the_backend_stay_logged_in(alice):
    client = client_for()
    client.force_login(alice, backend="django.contrib.auth.backends.ModelBackend")
    assert 'href="/user/alice/"' in client.get("/tags/").content.decode()


def test_a_logged_out_session_cookie_is_worth_nothing(alice):
    client = client_for()
    csrf_post(client, "/login/", {"username": "alice", "password": "pass-word-123"})
    stolen = client.cookies["sessionid"].value
    csrf_post(client, "/logout/", {"continue": "/"})
    thief = client_for()
    thief.cookies["sessionid"] = stolen
    assert 'href="/user/alice/"' not in thief.get("/tags/").content.decode()


def test_the_session_backend_checks_no_password(alice):
    from accounts.backends import SessionUserBackend

    assert (
        SessionUserBackend().authenticate(None, username="alice", password="pass-word-123") is None
    )


def test_the_session_backend_gives_what_the_orm_gives(alice):
    """The member is read by SQL written once (core.sql): every field, converted as the ORM
    converts it (SQLite hands back strings and integers for dates and flags), and the profile
    attached, so the navbar reads it without a query."""
    from django.db.models import F
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from accounts.backends import SessionUserBackend
    from accounts.models import Profile

    stamp = timezone.now().replace(microsecond=123456)
    User.objects.filter(pk=alice.pk).update(last_login=stamp, is_staff=True)
    Profile.objects.filter(user=alice).update(
        display_name="Alice A.", avatar="avatars/a.png", deleted_at=stamp, reputation=F("id") + 40
    )
    expected = User.objects.select_related("profile").get(pk=alice.pk)

    from django.db import connection

    with CaptureQueriesContext(connection) as ctx:
        user = SessionUserBackend().get_user(str(alice.pk))  # as the session stores it
        profile = user.profile
    assert len(ctx) == 1
    for field in User._meta.concrete_fields:
        assert getattr(user, field.attname) == getattr(expected, field.attname), field.name
    for field in Profile._meta.concrete_fields:
        assert getattr(profile, field.attname) == getattr(expected.profile, field.attname)
    assert user.last_login == stamp and user.is_staff is True
    assert profile.avatar.name == "avatars/a.png" and profile.user is user
    assert SessionUserBackend().get_user(alice.pk + 1000) is None
    assert SessionUserBackend().get_user("not a number") is None


def test_a_deactivated_member_is_logged_out(alice):
    client = client_for(alice)
    assert 'href="/user/alice/"' in client.get("/tags/").content.decode()
    User.objects.filter(pk=alice.pk).update(is_active=False)
    assert 'href="/user/alice/"' not in client.get("/tags/").content.decode()


def test_an_expired_session_is_worth_nothing(alice):
    from datetime import timedelta

    from django.utils import timezone

    client = client_for(alice)
    key = client.cookies["sessionid"].value
    assert 'href="/user/alice/"' in client.get("/tags/").content.decode()
    Session.objects.filter(pk=key).update(expire_date=timezone.now() - timedelta(seconds=1))
    assert 'href="/user/alice/"' not in client.get("/tags/").content.decode()


def test_a_member_page_lists_their_latest_answers(alice, bob):
    from qa.models import Answer
    from qa.services import answer_delete, answer_mark_correct

    question = make_question(alice, title="Why <b>bold</b> & co in titles?")
    other = make_question(alice, title="Another question of alice")
    first = make_answer(question, bob, text="the first answer of bob")
    second = make_answer(other, bob, text="the second answer of bob")
    gone = make_answer(other, bob, text="an answer bob deletes")
    hers = make_answer(question, alice, text="an answer of alice herself")
    answer_mark_correct(answer=first, correct=True)
    Answer.objects.filter(pk=second.pk).update(rating=7)
    answer_delete(answer=gone, by=bob)
    body = client_for().get("/user/bob/").content.decode()
    latest = body.split("Latest answers")[1]
    newest, older = f'href="/answer/{second.pk}/"', f'href="/answer/{first.pk}/"'
    assert latest.index(newest) < latest.index(older)
    assert f"/answer/{gone.pk}/" not in latest and f"/answer/{hers.pk}/" not in latest
    assert "Why &lt;b&gt;bold&lt;/b&gt; &amp; co in titles?" in latest
    first_item = latest.split(f'href="/answer/{first.pk}/"')[1].split("</li>")[0]
    assert "✓" in first_item
    second_item = latest.split(f'href="/answer/{second.pk}/"')[1].split("</li>")[0]
    assert ">7</span>" in second_item and "✓" not in second_item


def test_templates_get_the_member_not_its_lazy_proxy(alice):
    from django.contrib.auth.models import AnonymousUser
    from django.test import RequestFactory
    from django.utils.functional import SimpleLazyObject

    from accounts.context_processors import auth

    page = client_for(alice).get("/tags/")
    users = {type(context["user"]) for context in page.context if "user" in context}
    assert users == {User}
    assert isinstance(client_for().get("/tags/").context["user"], AnonymousUser)
    request = RequestFactory().get("/")
    request.user = SimpleLazyObject(lambda: alice)
    assert auth(request)["user"] is alice and auth(request)["perms"].user is alice
    assert isinstance(auth(RequestFactory().get("/"))["user"], AnonymousUser)


def test_a_session_s_data_is_verified_once_and_read_afresh(alice, monkeypatch):
    """accounts.sessions keeps the JSON a signed string verified to: the signature is checked
    once per string, and every read is a new dict."""
    from django.core import signing

    from accounts import sessions

    verified = []
    real_loads = signing.loads
    monkeypatch.setattr(signing, "loads", lambda *a, **k: verified.append(1) or real_loads(*a, **k))
    monkeypatch.setattr(sessions, "_verified", {})
    key = client_for(alice).cookies["sessionid"].value
    first = sessions.SessionStore(key).load()
    verified.clear()
    first["mutated"] = [1]  # what one request does to its session dict…
    second = sessions.SessionStore(key).load()
    assert "mutated" not in second  # …never reaches the next
    assert second == {k: v for k, v in first.items() if k != "mutated"}
    assert second["_auth_user_id"] == str(alice.pk)
    assert verified == []  # the second read parsed the kept JSON


def test_a_tampered_session_is_never_kept(alice, monkeypatch):
    from accounts import sessions

    monkeypatch.setattr(sessions, "_verified", {})
    store = sessions.SessionStore()
    good = store.encode({"_auth_user_id": str(alice.pk)})
    forged = good.replace(good.split(":")[0], good.split(":")[0][:-2] + "AA", 1)
    assert store.decode(forged) == {}
    assert store.decode(forged) == {}  # checked again, still refused
    assert sessions._verified == {}
    assert store.decode(good) == {"_auth_user_id": str(alice.pk)}
    assert list(sessions._verified) == [good]
    # A string that verifies but is no JSON is refused as Django refuses it, and not kept.
    from django.core import signing

    not_json = signing.TimestampSigner(salt=store.key_salt).sign("bm90IGpzb24")
    assert store.decode(not_json) == {}
    assert list(sessions._verified) == [good]


def test_the_kept_sessions_are_bounded(alice, monkeypatch):
    from accounts import sessions

    monkeypatch.setattr(sessions, "_verified", {})
    monkeypatch.setattr(sessions, "_VERIFIED_MAX", 3)
    store = sessions.SessionStore()
    for n in range(5):
        assert store.decode(store.encode({"n": n})) == {"n": n}
    assert len(sessions._verified) <= 3


def test_request_user_is_the_member_itself_once_read(alice):
    """accounts.middleware: lazy until read (the question page reads the member with its votes
    then), the member itself after, and the proxy still answers for whoever kept it."""
    from django.contrib.auth.models import AnonymousUser
    from django.test import RequestFactory
    from django.utils.functional import SimpleLazyObject

    from accounts.middleware import AuthenticationMiddleware
    from accounts.sessions import SessionStore

    middleware = AuthenticationMiddleware(lambda request: None)
    request = RequestFactory().get("/")
    request.session = SessionStore(client_for(alice).cookies["sessionid"].value)
    middleware.process_request(request)
    proxy = request.user
    assert isinstance(proxy, SimpleLazyObject)
    assert proxy.pk == alice.pk
    assert type(request.user) is User and request.user.pk == alice.pk
    assert proxy.username == "alice"
    anonymous = RequestFactory().get("/")
    anonymous.session = SessionStore()
    middleware.process_request(anonymous)
    assert not anonymous.user.is_authenticated
    assert type(anonymous.user) is AnonymousUser
