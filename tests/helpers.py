"""What tests share: factories for the recurring cast, clients that post like a browser, and
the SQL a request runs. Import from here (never from conftest.py)."""

from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from qa.models import Answer, Question, Tag

User = get_user_model()


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


def queries_of_get(client: Client, url: str, data=None) -> tuple[list[str], object]:
    """The SQL statements a GET runs (asserting it answered 200), and its response."""
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, data)
    assert response.status_code == 200, url
    return [query["sql"] for query in ctx.captured_queries], response
