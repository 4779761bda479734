"""Pagination that stays fast on big tables: cached counts, pages read by id (deferred join)."""

import re

import pytest

from core import counts
from core.generation import site_changed
from qa.models import Question

from .helpers import client_for, make_question, queries_of_get

pytestmark = pytest.mark.django_db


def counts_in(url: str) -> tuple[int, object]:
    sql, response = queries_of_get(client_for(), url)
    return sum("COUNT(" in statement for statement in sql), response


@pytest.fixture
def cache_every_count(monkeypatch):
    monkeypatch.setattr(counts, "CACHE_COUNTS_FROM", 1)


@pytest.mark.parametrize("url", ["/", "/hot/", "/tag/python/", "/user/alice/"])
def test_big_counts_are_cached_until_a_question_comes(alice, cache_every_count, url):
    for i in range(3):
        make_question(alice, title=f"Counted question {i}", tags=["python"])
    assert counts_in(url)[0] == 1
    assert counts_in(url)[0] == 0  # from the cache
    make_question(alice, title="One more question", tags=["python"])
    counted, response = counts_in(url)
    assert counted == 1
    assert response.context["page"].paginator.count == 4


def test_retagging_refreshes_the_tag_count(alice, cache_every_count):
    question = make_question(alice, tags=["python"])
    make_question(alice, tags=["python"])
    assert counts_in("/tag/python/")[1].context["page"].paginator.count == 2
    question.tags.clear()
    assert counts_in("/tag/python/")[1].context["page"].paginator.count == 1


def test_small_counts_are_always_exact_and_never_cached(alice):
    make_question(alice)
    assert counts_in("/")[0] == 1
    site_changed()  # the page itself is kept whole until something changes
    assert counts_in("/")[0] == 1


@pytest.mark.parametrize("url", ["/?page=3", "/hot/?page=2", "/tag/python/?page=2"])
def test_pages_read_by_id_match_plain_slicing(alice, bob, url):
    for i in range(47):
        make_question(alice if i % 3 else bob, title=f"Sliced question {i:03d}", tags=["python"])
        Question.objects.filter(title=f"Sliced question {i:03d}").update(rating=i % 5)
    response = client_for().get(url)
    page = response.context["page"]
    expected = {
        "/": Question.objects.new(),
        "/hot/": Question.objects.hot(),
        "/tag/python/": Question.objects.tagged("python"),
    }[url.split("?")[0]]
    start = (page.number - 1) * 20
    assert [q.pk for q in page.object_list] == [q.pk for q in expected[start : start + 20]]
    authors = dict(Question.objects.values_list("pk", "author__username"))
    # each card is its own question's, by its own author (cards are cached per question)
    assert all(f'id="question-{c.pk}"' in c.html for c in page.object_list)
    assert all(f'href="/user/{authors[c.pk]}/"' in c.html for c in page.object_list)


@pytest.mark.parametrize("order", ["new", "hot", "tagged"])
def test_deep_pages_from_either_end_match_plain_slicing(alice, bob, monkeypatch, order):
    """Past the middle, a page's ids are taken walking the reversed ordering from the end (a
    shorter OFFSET); every page, orphans included, is still what plain slicing gives."""

    from core import pagination

    monkeypatch.setattr(pagination, "SHALLOW_ROWS", 0)  # every page by ids, as deep pages are
    for i in range(23):
        make_question(alice if i % 3 else bob, title=f"Sliced question {i:03d}", tags=["python"])
        Question.objects.filter(title=f"Sliced question {i:03d}").update(rating=i % 4)
    queryset = {
        "new": Question.objects.new(),
        "hot": Question.objects.hot(),
        "tagged": Question.objects.tagged("python"),
    }[order]
    expected = list(queryset.values_list("pk", flat=True))
    for per_page, orphans in ((5, 0), (4, 2), (23, 0)):
        paginator = pagination.DeferredJoinPaginator(queryset, per_page, orphans=orphans)
        for sql in pages_as_sliced(paginator, expected):
            if order != "tagged":  # a join is walked from the top (core.pagination)
                assert all(offset <= len(expected) // 2 for offset in offsets(sql)), sql


def pages_as_sliced(paginator, expected: list[int]):
    """Every page of `paginator` is the slice of `expected` (the list's ids) plain slicing
    gives, orphans included; yields the SQL each page ran."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    per_page = paginator.per_page
    for number in paginator.page_range:
        with CaptureQueriesContext(connection) as ctx:
            page = paginator.page(number)
        bottom = (number - 1) * per_page
        top = len(expected) if number == paginator.num_pages else bottom + per_page
        assert [q.pk for q in page.object_list] == expected[bottom:top], (per_page, number)
        yield [query["sql"] for query in ctx.captured_queries]


def offsets(sql: list[str]) -> list[int]:
    return [int(offset) for query in sql for offset in re.findall(r"OFFSET (\d+)", query)]


def test_a_tag_s_deep_pages_take_their_ids_from_its_own_rows(alice, bob, monkeypatch):
    """A tag's list names its ids from qa.QuestionTag alone (tag_question_ids): one table, so a
    page past the middle is walked from the end; deleted questions and other tags stay out,
    and every page is what plain slicing of the list gives."""

    from core import pagination
    from qa.models import Tag, tag_question_ids
    from qa.services import question_delete

    monkeypatch.setattr(pagination, "SHALLOW_ROWS", 0)
    questions = [
        make_question(alice if i % 3 else bob, title=f"Tagged question {i:03d}", tags=["python"])
        for i in range(23)
    ]
    make_question(alice, title="Another tag's question", tags=["rust"])
    for gone in questions[4], questions[17]:
        question_delete(question=gone, by=gone.author)
    tag = Tag.objects.get(name="python")
    queryset = Question.objects.tagged(tag.pk)
    expected = list(queryset.values_list("pk", flat=True))
    assert len(expected) == 21
    for per_page, orphans in ((5, 0), (4, 2), (21, 0)):
        paginator = pagination.DeferredJoinPaginator(
            queryset, per_page, orphans=orphans, ids=tag_question_ids(tag.pk)
        )
        for sql in pages_as_sliced(paginator, expected):
            assert sql[0].startswith('SELECT "qa_question_tags"."question_id"'), sql
            assert ' JOIN "qa_question"' not in sql[0].split("EXISTS")[0]
            assert all(offset <= len(expected) // 2 for offset in offsets(sql)), sql
