"""A recurring cast: alice asks, bob answers and votes, carol reads."""

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client

from qa.models import Answer, Question, Tag

User = get_user_model()


@pytest.fixture(autouse=True)
def _fast_and_clean(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "uploads"
    cache.clear()
    yield
    cache.clear()


def make_user(username: str, **extra) -> User:
    extra.setdefault("email", f"{username}@example.com")
    return User.objects.create_user(username=username, password="pass-word-123", **extra)


def make_question(
    author, title="How do I reverse a list in Python?", text=None, tags=()
) -> Question:
    question = Question.objects.create(
        author=author, title=title, text=text or f"{title} I tried everything, help me."
    )
    question.tags.set([Tag.objects.get_or_create(name=name)[0] for name in tags])
    return question


def make_answer(question, author, text="Use reversed(), or slice with [::-1].", **extra) -> Answer:
    answer = Answer.objects.create(question=question, author=author, text=text, **extra)
    Question.objects.filter(pk=question.pk).update(answers_count=question.answers.count())
    question.refresh_from_db()
    return answer


@pytest.fixture
def alice(db):
    return make_user("alice")


@pytest.fixture
def bob(db):
    return make_user("bob")


@pytest.fixture
def carol(db):
    return make_user("carol")


def client_for(user=None) -> Client:
    client = Client(enforce_csrf_checks=True)
    if user is not None:
        client.force_login(user)
    return client


def csrf_post(client: Client, url: str, data=None, **extra):
    """POST the way a browser does: fetch a page for the CSRF cookie, then send the token."""
    if "csrftoken" not in client.cookies:
        client.get("/login/")
    token = client.cookies["csrftoken"].value
    return client.post(url, data or {}, HTTP_X_CSRFTOKEN=token, **extra)
