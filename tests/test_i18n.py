"""Russian as well as English: the language comes from the browser (Accept-Language) or the
footer's switcher; the ru pages hold no English left untranslated; plurals, dates and
relative times are Russian; cached fragments never cross languages."""

import http.server
import io
import json
import re
import threading
from html.parser import HTMLParser

import pytest
from django.core import mail
from django.core.management import call_command

from community.models import Flag
from qa.models import Answer, Question
from qa.services import comment_create, vote_set

from .helpers import client_for, csrf_post, make_answer, make_question, make_user

pytestmark = pytest.mark.django_db

RU = {"HTTP_ACCEPT_LANGUAGE": "ru-RU,ru;q=0.9,en;q=0.5"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9"}


# --- the "no English left" check ----------------------------------------------------------

# Latin words a Russian page may show: names of things, formats, and Markdown syntax examples.
ALLOWED = {"AskMe", "Markdown", "JSON", "JPEG", "PNG", "GIF", "WebP", "python", "django"}
# Attributes whose text a reader sees or hears (tooltips, placeholders, screen readers) or that
# scripts show (data-label-*, confirmations, errors).
SHOWN_ATTRS = {"title", "placeholder", "aria-label", "alt", "data-confirm", "data-error"}
SHOWN_ATTR_PREFIXES = ("data-label-", "data-show-more-")
URL = re.compile(r"(?:https?://|/)\S*|\S+@\S+")
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


class ShownText(HTMLParser):
    """Text nodes and shown attributes, without scripts, styles, code, tags (Latin by rule:
    qa/models.py TAG_RE), the brand, elements in another language (the switcher's "English")
    and the user text the test wrote (all Cyrillic anyway)."""

    SKIP_CLASSES = {"tag", "navbar-brand", "markdown", "excerpt"}
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[bool] = []  # per open element: skipped?
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = set((attrs.get("class") or "").split())
        skipped = bool(
            (self.stack and self.stack[-1])
            or tag in {"script", "style", "code", "pre", "time"}
            or classes & self.SKIP_CLASSES
            or (tag != "html" and attrs.get("lang") not in (None, "ru"))
        )
        if not skipped:
            for name, value in attrs.items():
                if value and (name in SHOWN_ATTRS or name.startswith(SHOWN_ATTR_PREFIXES)):
                    self.found.append(value)
            if tag == "input" and attrs.get("type") in {"submit", "button"} and attrs.get("value"):
                self.found.append(attrs["value"])
        if tag not in self.VOID:
            self.stack.append(skipped)

    def handle_endtag(self, tag):
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if not (self.stack and self.stack[-1]) and data.strip():
            self.found.append(data)


def english_left(html: str) -> list[str]:
    """The runs of Latin letters in what a reader of the page sees (minus ALLOWED)."""
    parser = ShownText()
    parser.feed(html)
    words = []
    for text in parser.found:
        for word in LATIN_WORD.findall(URL.sub(" ", text)):
            if word not in ALLOWED:
                words.append(f"{word!r} in {text.strip()[:80]!r}")
    return words


def test_the_check_finds_english():
    assert english_left("<p>Войти <b>Log in</b></p>")
    assert english_left('<input placeholder="Search questions…">')
    assert english_left('<div data-label-few="{n} new answers"></div>')
    assert not english_left('<p>Работает Markdown: <a href="/user/x/">ссылка</a></p>')
    assert not english_left('<button lang="en">English</button><a class="tag">python</a>')


# --- fixture data: Cyrillic, so the user's own text never counts as English ---------------


@pytest.fixture
def site(db):
    """A question with answers, comments, votes, an edit and a flag; the sidebar filled."""
    masha = make_user("маша")
    petya = make_user("петя")
    staff = make_user("модератор", is_staff=True)
    question = make_question(
        masha,
        title="Как развернуть список на месте?",
        text="Нужно развернуть список, не создавая новый. Что посоветуете?",
        tags=["python"],
    )
    answer = make_answer(question, petya, text="Метод списка делает это на месте.")
    make_answer(question, staff, text="Можно ещё срезом с отрицательным шагом.")
    comment_create(post=question, author=petya, text="Хороший вопрос, сам искал.")
    comment_create(post=answer, author=masha, text="Спасибо, помогло!")
    vote_set(user=petya, target=question, value=1)
    vote_set(user=masha, target=answer, value=1)
    Question.objects.filter(pk=question.pk).update(edited_at=question.created_at)
    Flag.objects.create(reporter=masha, answer=answer, reason="spam")
    make_question(petya, title="Почему цикл не останавливается?", tags=["python"])
    call_command("refresh_sidebar", "--force", stdout=io.StringIO())
    return {"masha": masha, "petya": petya, "staff": staff, "question": question}


def ru_get(client, url):
    response = client.get(url, **RU)
    assert response.status_code == 200, url
    assert response["Content-Language"] == "ru"
    return response.content.decode()


def assert_russian(html: str, url: str):
    left = english_left(html)
    assert not left, f"{url}: English left untranslated: {left}"


def test_the_main_pages_hold_no_english_in_russian(site):
    question, masha = site["question"], site["masha"]
    anonymous = client_for()
    pages = [
        "/",
        "/hot/",
        "/unanswered/",
        "/tags/",
        "/tags/?q=нет-такой",
        "/users/",
        "/users/?order=new",
        "/users/?q=никого",
        "/tag/python/",
        question.get_absolute_url(),
        f"/question/{question.pk}/revisions/",
        "/login/",
        "/signup/",
        "/password-reset/",
        "/password-reset/sent/",
        f"/user/{masha.username}/",
        f"/user/{masha.username}/reputation/",
        "/search/?q=",
        "/search/?q=список",
        "/search/?q=ничегонетакого",
        "/search/?q=%2B%2B",
    ]
    for url in pages:
        assert_russian(ru_get(anonymous, url), url)
        # and the check would see it: the same page in English is full of Latin words
        assert len(english_left(anonymous.get(url).content.decode())) > 5, url
    members = {
        site["petya"]: [
            "/ask/",
            question.get_absolute_url(),
            "/profile/edit/",
            "/password-change/",
            "/account/delete/",
            f"/question/{question.pk}/flag/",
        ],
        masha: [question.get_absolute_url(), f"/question/{question.pk}/edit/", "/logout/"],
        site["staff"]: [question.get_absolute_url(), "/moderation/flags/"],
    }
    for user, urls in members.items():
        client = client_for(user)
        for url in urls:
            assert_russian(ru_get(client, url), url)
    staff = client_for(site["staff"])
    assert_russian(ru_get(staff, "/moderation/flags/?show=handled"), "handled flags")


def test_error_pages_and_form_errors_are_russian(site):
    anonymous = client_for()
    response = anonymous.get("/question/999999/", **RU)
    assert response.status_code == 404
    assert "Страница не найдена" in response.content.decode()
    assert_russian(response.content.decode(), "404")

    forms = [
        (anonymous, "/login/", {"username": "маша", "password": "неверный"}),
        (anonymous, "/signup/", {"username": "маша", "email": "x", "password1": "1"}),
        (anonymous, "/password-reset/", {"email": "не-адрес"}),
        (client_for(site["petya"]), "/ask/", {"title": "кратко", "text": "", "tags": "A B C D"}),
        (client_for(site["petya"]), site["question"].get_absolute_url(), {"text": ""}),
        (client_for(site["petya"]), "/profile/edit/", {"email": "не-адрес"}),
        (client_for(site["petya"]), "/account/delete/", {"password": "неверный"}),
        (client_for(site["masha"]), f"/question/{site['question'].pk}/flag/", {}),
    ]
    for client, url, data in forms:
        response = csrf_post(client, url, data, **RU)
        body = response.content.decode()
        assert response.status_code in (200, 400), (url, response.status_code)
        assert "is-invalid" in body or "alert-danger" in body or "invalid-feedback" in body, url
        assert_russian(body, f"POST {url}")


def test_messages_and_json_errors_are_russian(site):
    petya = client_for(site["petya"])
    own = Answer.objects.filter(author=site["petya"]).first()
    response = csrf_post(petya, f"/answer/{own.pk}/vote/", {"value": 1}, **RU)
    assert response.status_code == 403
    assert response.json()["error"] == "Нельзя голосовать за своё сообщение."
    response = csrf_post(client_for(), f"/answer/{own.pk}/vote/", {"value": 1}, **RU)
    assert response.json()["error"] == "Сначала войдите."
    response = csrf_post(
        petya, f"/question/{site['question'].pk}/flag/", {"reason": "rude"}, follow=True, **RU
    )
    assert "Спасибо! Модераторы разберутся." in response.content.decode()


def test_a_page_in_each_language(site):
    client = client_for()
    english = client.get("/", **EN).content.decode()
    assert '<html lang="en">' in english
    assert ">Tags</a>" in english and ">Users</a>" in english and ">Hot</a>" in english
    russian = client.get("/", **RU).content.decode()
    assert '<html lang="ru">' in russian
    assert ">Метки</a>" in russian and ">Участники</a>" in russian
    assert ">Новые</a>" in russian and ">Горячие</a>" in russian and ">Без ответов</a>" in russian
    assert "Новые вопросы" in russian and "Задать вопрос" in russian


def test_no_accept_language_means_english(site):
    response = client_for().get("/")
    assert response["Content-Language"] == "en"
    assert ">Tags</a>" in response.content.decode()
    assert "Accept-Language" in response["Vary"]


def test_the_switcher_sets_the_language_and_comes_back(site):
    client = client_for()
    page = client.get("/hot/?page=1").content.decode()
    assert 'href="/language/ru/?next=/hot/%3Fpage%3D1"' in page
    assert 'href="/language/en/' not in page  # the page's own language is not a link
    response = client.get("/language/ru/", {"next": "/hot/?page=1"})
    assert response.status_code == 302
    assert response["Location"] == "/hot/?page=1"
    assert client.cookies["django_language"].value == "ru"
    # The cookie outweighs the browser's own languages.
    body = client.get("/hot/", **EN).content.decode()
    assert '<html lang="ru">' in body and "Горячие вопросы" in body
    assert 'href="/language/en/?next=/hot/"' in body
    client.get("/language/en/", {"next": "/"})
    assert "Hot questions" in client.get("/hot/", **RU).content.decode()


def test_the_switcher_redirects_only_to_our_own_pages(db):
    client = client_for()
    for bad in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)", "/\\evil"):
        response = client.get("/language/ru/", {"next": bad})
        assert response.status_code == 302
        assert response["Location"] == "/"


def test_the_switcher_refuses_what_is_not_a_language_and_caches_nothing(db):
    client = client_for()
    assert client.get("/language/xx/").status_code == 404
    assert "django_language" not in client.cookies
    assert client.post("/language/ru/").status_code in (403, 405)  # CSRF first, then the method
    response = client.get("/language/ru/")
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.parametrize(
    ("count", "words"),
    [(1, "ответ"), (2, "ответа"), (4, "ответа"), (5, "ответов"), (11, "ответов"), (21, "ответ")],
)
def test_russian_plurals_of_answers(count, words, alice, bob):
    question = make_question(alice, title="Вопрос про склонения")
    for i in range(count):
        make_answer(question, bob, text=f"ответ номер {i}")
    card = client_for().get("/", **RU).content.decode()
    assert f"<strong>{count}</strong> {words}</div>" in card
    page = client_for().get(question.get_absolute_url(), **RU).content.decode()
    assert re.search(rf'id="answers-heading"[^>]*>\s*{count} {words}\s*</h2>', page)


def test_english_plurals_stay_english(alice, bob):
    question = make_question(alice)
    make_answer(question, bob)
    card = client_for().get("/").content.decode()
    assert "<strong>1</strong> answer</div>" in card
    assert "<strong>0</strong> votes</div>" in card
    make_answer(question, bob, text="second answer")
    page = client_for().get(question.get_absolute_url()).content.decode()
    assert re.search(r'id="answers-heading"[^>]*>\s*2 answers\s*</h2>', page)


def test_the_new_answers_bar_has_every_russian_plural_form(alice):
    question = make_question(alice)
    page = client_for().get(question.get_absolute_url(), **RU).content.decode()
    assert 'data-label-one="{n} новый ответ — показать"' in page
    assert 'data-label-few="{n} новых ответа — показать"' in page
    assert 'data-label-many="{n} новых ответов — показать"' in page
    assert 'data-label-other="{n} новых ответов — показать"' in page
    english = client_for().get(question.get_absolute_url()).content.decode()
    assert 'data-label-one="{n} new answer — show"' in english
    assert 'data-label-few="{n} new answers — show"' in english


def test_relative_times_are_one_russian_sentence(alice):
    question = make_question(alice, title="Вопрос о времени")
    page = client_for().get(question.get_absolute_url(), **RU).content.decode()
    # "0 минут": a question asked just now; the sentence is translated around timesince.
    assert re.search(r"задан 0\xa0минут назад, автор:", page)
    from datetime import timedelta

    Question.objects.filter(pk=question.pk).update(
        created_at=question.created_at - timedelta(minutes=1)
    )
    page = client_for().get(question.get_absolute_url(), **RU).content.decode()
    assert "задан 1\xa0минуту назад" in page  # accusative, from our catalog
    Question.objects.filter(pk=question.pk).update(
        created_at=question.created_at - timedelta(days=3, minutes=1)
    )
    card = client_for().get("/", **RU).content.decode()
    assert "задан 3\xa0дня назад, автор:" in card
    assert "asked 3\xa0days ago by" in client_for().get("/").content.decode()


def test_dates_are_russian(alice, bob):
    question = make_question(alice)
    answer = make_answer(question, bob)
    Answer.objects.filter(pk=answer.pk).update(created_at="2025-01-05T14:03:00Z")
    page = client_for().get(question.get_absolute_url(), **RU).content.decode()
    assert "ответ дан" in page and "5 января 2025 в 14:03" in page
    english = client_for().get(question.get_absolute_url()).content.decode()
    assert "Jan 5, 2025 14:03" in english


def test_cached_fragments_never_cross_languages(alice, bob):
    question = make_question(alice)
    make_answer(question, bob)
    comment_create(post=question, author=bob, text="a comment")
    url = question.get_absolute_url()
    for _ in range(2):  # the second round is served from the fragment cache
        russian = client_for().get(url, **RU).content.decode()
        assert "Отметить как правильный" in russian and "Mark as correct" not in russian
        assert "ответ дан" in russian and ">удалить</button>" in russian
        english = client_for().get(url).content.decode()
        assert "Mark as correct" in english and "Отметить" not in english
        assert "answered" in english and ">delete</button>" in english


def test_the_password_reset_mail_is_in_the_readers_language(alice):
    mail.outbox.clear()
    csrf_post(client_for(), "/password-reset/", {"email": alice.email}, **RU)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "Сброс пароля AskMe"
    assert "Здравствуйте, alice!" in mail.outbox[0].body
    assert "в течение 3 дней" in mail.outbox[0].body


def test_the_new_answer_mail_is_in_the_sites_language(
    alice, bob, django_capture_on_commit_callbacks
):
    """The reader's language is not known when the worker sends it: the site's (English)."""
    question = make_question(alice)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        csrf_post(client_for(bob), question.get_absolute_url(), {"text": "Ответ по-русски."}, **RU)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject.startswith("New answer to")
    assert "answered your question" in mail.outbox[0].body


def test_a_live_message_says_its_language(settings, alice, bob, django_capture_on_commit_callbacks):
    """A pushed partial is in the poster's language; live.js fetches the event in its own
    page's language when they differ (the catch-up endpoint renders for the reader)."""
    bodies = []

    class Publisher(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 — http.server's API
            bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(201)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Publisher)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.LIVE_BACKEND = "nchan"
    settings.LIVE_PUBLISH_URL = f"http://127.0.0.1:{server.server_port}"
    question = make_question(alice)
    try:
        for headers, lang, label in ((RU, "ru", "1 ответ"), (EN, "en", "2 answers")):
            with django_capture_on_commit_callbacks(execute=True):
                csrf_post(
                    client_for(bob), question.get_absolute_url(), {"text": "Ответ."}, **headers
                )
            answer = [body for body in bodies if body["type"] == "answer"][-1]
            assert answer["lang"] == lang and answer["answers_label"] == label
        # The catch-up endpoint speaks the reader's language, whoever posted.
        catch_up = client_for().get(f"/question/{question.pk}/live/?after=0", **RU).json()
        assert catch_up["answers_label"] == "2 ответа"
        assert "lang" not in catch_up["messages"][0]
        assert "ответ дан" in catch_up["messages"][1]["html"]
    finally:
        server.shutdown()
        server.server_close()
