"""The Russian site in real Chromium: a browser set to Russian gets Russian pages, plural forms
(server-rendered and picked by JS from the page's data attributes) and Russian script words;
the footer's switcher goes back to English on the same page."""

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from tests.helpers import make_answer, make_question

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def russian_page(browser):
    context = browser.new_context(locale="ru-RU", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def question():
    users = get_user_model().objects
    masha = users.create_user("маша", password="pass-word-123")
    petya = users.create_user("петя", password="pass-word-123")
    question = make_question(masha, title="Как развернуть список на месте?")
    make_answer(question, petya, text="Метод списка делает это на месте.")
    make_answer(question, petya, text="Или срезом с отрицательным шагом.")
    return question


def test_russian_pages_plurals_and_script_words(live_server, russian_page, question):
    page = russian_page
    page.goto(live_server.url + "/")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.locator("nav")).to_contain_text("Метки")
    expect(page.locator("nav")).to_contain_text("Задать вопрос")
    expect(page.locator(f"#question-{question.pk}")).to_contain_text("2 ответа")

    # The search box's own words (suggest.js takes them from the input's data attributes).
    page.locator("#search-input").press_sequentially("нетничего")
    menu = page.locator("#search-suggestions")
    expect(menu.locator(".suggest-empty")).to_have_text("Подходящих вопросов нет")
    expect(menu.locator(".suggest-all")).to_have_text("Искать «нетничего»")

    # The question page: the heading's plural, and the "N new answers" bar's words as live.js
    # picks them (Intl.PluralRules of the page's language over data-label-one/few/many/other).
    page.goto(live_server.url + question.get_absolute_url())
    expect(page.locator("#answers-heading")).to_have_text("2 ответа")
    labels = page.evaluate(
        """async () => {
            const { pluralLabel } = await import("/static/js/owner.js");
            const bar = document.getElementById("new-answers-bar");
            return [1, 2, 5, 11, 21, 22].map((n) => pluralLabel(bar, "label", n));
        }"""
    )
    assert labels == [
        "1 новый ответ — показать",
        "2 новых ответа — показать",
        "5 новых ответов — показать",
        "11 новых ответов — показать",
        "21 новый ответ — показать",
        "22 новых ответа — показать",
    ]

    # The footer's switcher: English, on the same page.
    page.locator("footer a[data-language=en]").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert page.url == live_server.url + question.get_absolute_url()
    expect(page.locator("#answers-heading")).to_have_text("2 answers")
