from datetime import timedelta

import pytest
from django.utils import timezone

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


# --- Cards are cached fragments (qa/cards.py) ---


def _card(url: str, question, client=None) -> str:
    body = (client or client_for()).get(url).content.decode()
    return body.split(f'id="question-{question.pk}"')[1].split("</article>")[0]


def test_cached_cards_follow_votes_answers_edits_and_profiles(alice, bob, carol):
    """Whatever a card shows that can change is part of its key: no list ever shows an old
    number, title, tag, name, avatar or reputation."""
    from qa.services import answer_create, question_edit, vote_set

    question = make_question(alice, title="A question whose card is cached", tags=["python"])
    assert "<strong>0</strong> votes" in _card("/", question)  # rendered and cached
    vote_set(user=bob, target=question, value=1)
    assert "<strong>1</strong> vote" in _card("/", question)
    answer_create(question=question, author=carol, text="An answer that bumps the count.")
    assert "<strong>1</strong> answer" in _card("/", question)
    question_edit(
        question=question,
        editor=alice,
        title="A renamed question, card re-rendered",
        text="The text after an edit, shown in the excerpt.",
        tags=["rust"],
    )
    card = _card("/", question)
    assert "A renamed question" in card and "The text after an edit" in card
    assert 'href="/tag/rust/"' in card and 'href="/tag/python/"' not in card
    alice.profile.display_name = "Alice Renamed"
    alice.profile.save()
    assert "Alice Renamed" in _card("/", question)
    type(alice.profile).objects.filter(pk=alice.profile.pk).update(reputation=4321)
    assert ">4321</span>" in _card("/", question)
    type(alice.profile).objects.filter(pk=alice.profile.pk).update(avatar="avatars/a.png")
    assert "avatars/a.png" in _card("/", question)
    Question.objects.filter(pk=question.pk).update(created_at=timezone.now() - timedelta(days=3))
    assert "3\xa0days" in _card("/", question)


def test_a_card_is_rendered_once_for_every_list_and_reader(alice, bob):
    questions = [make_question(alice, title=f"Shared card {i}", tags=["python"]) for i in range(3)]
    client_for().get("/")  # renders the three cards
    for url, client in [("/", client_for(bob)), ("/tag/python/", client_for()), ("/hot/", None)]:
        sql, response = queries_of_get(client or client_for(alice), url)
        assert not any('"qa_question_tags"."question_id" IN' in q for q in sql), url
        body = response.content.decode()
        assert all(f'id="question-{q.pk}"' in body for q in questions)


def test_cards_never_cross_languages(alice):
    question = make_question(alice, tags=["python"])
    english = _card("/", question)
    client = client_for()
    client.cookies["django_language"] = "ru"
    russian = _card("/", question, client=client)
    assert "asked" in english and "asked" not in russian


@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_cards_age_key_changes_exactly_when_its_ago_text_does(language):
    """qa.fragments.age_stamp keys "asked … ago" without translating it: two moments give the
    same stamp exactly when timesince() reads the same for them, months and years included."""
    from django.utils import translation
    from django.utils.timesince import timesince

    from qa.fragments import age_stamp

    now = timezone.now().replace(month=3, day=1, hour=12)  # a month's end and a leap day near
    ages = [timedelta(seconds=s) for s in range(0, 7200, 29)]
    ages += [timedelta(hours=h, minutes=m) for h in range(0, 24 * 70, 7) for m in (0, 59)]
    ages += [timedelta(days=d, hours=h) for d in range(25, 1200, 3) for h in (0, 11, 23)]
    with translation.override(language):
        texts = [timesince(now - age, now) for age in ages]
        stamps = [age_stamp(now - age, now) for age in ages]
    assert len(set(texts)) > 200  # minutes, hours, days, weeks, months and years all reached
    pairs = list(zip(texts, stamps, strict=True))
    for (text, stamp), (next_text, next_stamp) in zip(pairs, pairs[1:], strict=False):
        assert (text == next_text) == (stamp == next_stamp), (text, next_text)
    assert len(set(stamps)) == len(set(texts))


def test_a_tag_lists_its_questions_newest_first_from_its_own_rows(alice, bob):
    """qa.QuestionTag holds each question's date: the tag's list is ordered by it, a deleted
    question stays out, and a tag added by an edit gets the question's date, not the edit's."""
    from qa.models import QuestionTag
    from qa.services import question_delete, question_edit

    first = make_question(alice, title="First python question", tags=["python"])
    second = make_question(alice, title="Second python question", tags=["python", "web"])
    third = make_question(bob, title="Third question, no python yet", tags=["web"])
    gone = make_question(alice, title="A python question deleted", tags=["python"])
    question_delete(question=gone, by=alice)
    question_edit(
        question=third, editor=bob, title=third.title, text=third.text, tags=["web", "python"]
    )
    rows = QuestionTag.objects.filter(question=third)
    assert {row.created_at for row in rows} == {third.created_at}
    assert all(
        row.created_at == row.question.created_at for row in QuestionTag.objects.select_related()
    )
    body = client_for().get("/tag/python/").content.decode()
    titles = [third.title, second.title, first.title]
    assert [body.index(title) for title in titles] == sorted(body.index(t) for t in titles)
    assert gone.title not in body
    assert list(Question.objects.tagged("python").values_list("pk", flat=True)) == [
        third.pk,
        second.pk,
        first.pk,
    ]


@pytest.mark.django_db(transaction=True)
def test_the_migration_gives_every_tag_row_its_question_s_date():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    from qa.models import QuestionTag

    before, after = [("qa", "0007_comment_on_question_idx")], [("qa", "0008_question_tag_dates")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    author = old.get_model("auth", "User").objects.create(username="old-author")
    questions = [
        old.get_model("qa", "Question").objects.create(
            author=author, title=f"Asked before the migration {n}", text="text", text_html=""
        )
        for n in range(3)
    ]
    tag = old.get_model("qa", "Tag").objects.create(name="legacy")
    for question in questions:
        question.tags.add(tag)
    executor = MigrationExecutor(connection)
    executor.migrate(after)
    dates = dict(QuestionTag.objects.values_list("question_id", "created_at"))
    # Forward to every latest migration again (the tests after this one need them).
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert dates == {question.pk: question.created_at for question in questions}
