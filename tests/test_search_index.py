"""The query parser (pure Python) and the index upkeep (per database)."""

import pytest
from django.db import connection
from django.test import override_settings

from search.engine import marked, search_ids
from search.index import SQLITE_TRIGGERS, ensure_index, rebuild_index
from search.query import MAX_QUERY_CHARS, MAX_TERMS, parse_query

from .helpers import make_question


def test_last_plain_word_is_a_prefix():
    query = parse_query("flask rout")
    assert query.fts5() == '"flask" AND "rout"*'
    assert (query.head, query.prefix_word) == ("flask", "rout")


@pytest.mark.parametrize(
    "raw",
    ['flask "url routing"', "flask -routing", "flask r", "flask rout "[:-1] + " -x"],
)
def test_no_prefix_after_a_phrase_an_exclusion_or_a_single_letter(raw):
    query = parse_query(raw)
    assert query.prefix_word == ""
    assert "*" not in query.fts5()
    assert query.head == raw.strip()


def test_fts5_expression_quotes_every_word():
    query = parse_query('NEAR(a b) "c d" -e f OR g* {title}:hello')
    assert query.fts5() == (
        '("near a" AND "b" AND "c d" AND ("f" OR "g") AND "title hello"*) NOT ("e")'
    )
    assert query.fts5(column="title").startswith("{title} : (")


def test_only_exclusions_or_punctuation_is_empty():
    assert parse_query("-python -java").is_empty
    assert parse_query("!!! ??? ***").is_empty
    assert parse_query("   ").is_empty
    assert not parse_query("-python java").is_empty


def test_long_input_is_cut():
    query = parse_query("word " * 1000)
    assert len(query.raw) == MAX_QUERY_CHARS
    assert len(query.terms) == MAX_TERMS


def test_marked_escapes_text_and_balances_markers():
    assert marked("a <b> \ue000c\ue001") == "a &lt;b&gt; <mark>c</mark>"
    assert marked("\ue001x\ue000y") == "x<mark>y</mark>"
    assert marked("\ue000\ue000x\ue001\ue001") == "<mark>x</mark>"


@pytest.mark.django_db
def test_lost_sqlite_triggers_are_restored_and_index_rebuilt(alice):
    """Django rebuilds a SQLite table for some ALTERs, dropping its triggers."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    first = make_question(alice, title="Indexed before the rebuild")
    with connection.cursor() as cursor:
        for name in SQLITE_TRIGGERS:
            cursor.execute(f"DROP TRIGGER {name}")
    second = make_question(alice, title="Indexed while triggers were lost")
    assert search_ids(parse_query("indexed"), limit=10) == [first.pk]

    assert ensure_index(connection) is True
    assert sorted(search_ids(parse_query("indexed"), limit=10)) == sorted([first.pk, second.pk])
    assert ensure_index(connection) is False
    third = make_question(alice, title="Indexed by the restored trigger")
    assert third.pk in search_ids(parse_query("indexed"), limit=10)


@pytest.mark.django_db
def test_changed_postgres_config_is_picked_up_by_rebuild(alice):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    question = make_question(alice, title="Running many databases")
    assert search_ids(parse_query("run"), limit=10) == [question.pk]  # prefix
    assert search_ids(parse_query("runs -x"), limit=10) == []  # simple: no stemming
    try:
        with override_settings(SEARCH_CONFIG="english"):
            assert ensure_index(connection) is True  # the config differs: rebuilt
            assert ensure_index(connection) is False
            assert search_ids(parse_query("runs -x"), limit=10) == [question.pk]
    finally:
        rebuild_index(connection)
    assert search_ids(parse_query("runs -x"), limit=10) == []
