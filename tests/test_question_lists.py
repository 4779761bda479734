import pytest

from qa.models import Question

from .helpers import client_for, make_answer, make_question, queries_of_get

pytestmark = pytest.mark.django_db


def test_index_lists_newest_first(alice):
    old = make_question(alice, title="The older question here")
    new = make_question(alice, title="The newer question here")
    response = client_for().get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert body.index(new.title) < body.index(old.title)


def test_hot_orders_by_rating(alice):
    low = make_question(alice, title="A low rated question")
    high = make_question(alice, title="A high rated question")
    Question.objects.filter(pk=high.pk).update(rating=10)
    Question.objects.filter(pk=low.pk).update(rating=-3)
    body = client_for().get("/hot/").content.decode()
    assert body.index(high.title) < body.index(low.title)


def test_tag_page_shows_only_tagged(alice):
    make_question(alice, title="About python things", tags=["python"])
    make_question(alice, title="About rust things", tags=["rust"])
    response = client_for().get("/tag/python/")
    assert response.status_code == 200
    assert "About python things" in response.content.decode()
    assert "About rust things" not in response.content.decode()


def test_card_shows_tags_rating_and_answer_count(alice, bob):
    question = make_question(alice, title="Card details question", tags=["django", "orm"])
    make_answer(question, bob)
    Question.objects.filter(pk=question.pk).update(rating=7)
    body = client_for().get("/").content.decode()
    assert 'href="/tag/django/"' in body and 'href="/tag/orm/"' in body
    assert "<strong>7</strong> votes" in body
    assert "<strong>1</strong> answer" in body


@pytest.mark.parametrize("raw,expected", [("abc", 1), ("-5", 1), ("0", 1), ("2", 2), ("999", 3)])
def test_page_parameter_is_forgiving(alice, raw, expected):
    for i in range(45):
        make_question(alice, title=f"Question number {i:03d}")
    response = client_for().get(f"/?page={raw}")
    assert response.status_code == 200
    assert response.context["page"].number == expected


def test_twenty_per_page_and_pagination_bar(alice):
    for i in range(25):
        make_question(alice, title=f"Paged question {i:03d}")
    response = client_for().get("/")
    assert len(response.context["page"].object_list) == 20
    assert 'href="?page=2"' in response.content.decode()


def _queries_for(url):
    return len(queries_of_get(client_for(), url)[0])


@pytest.mark.parametrize("url", ["/", "/hot/", "/tag/python/"])
def test_list_pages_use_constant_queries(alice, bob, url):
    make_question(alice, tags=["python"])
    few = _queries_for(url)
    for i in range(30):
        q = make_question(
            alice if i % 2 else bob, title=f"More questions {i}", tags=["python", f"t{i}"]
        )
        make_answer(q, bob)
    assert _queries_for(url) == few


def test_unknown_tag_is_an_empty_list_not_an_error(db):
    response = client_for().get("/tag/nothing-here/")
    assert response.status_code == 200
    assert "No questions here yet" in response.content.decode()
