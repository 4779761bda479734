"""Full-text search: the results page and the suggestions endpoint, on whichever database runs.

bin/test.sh runs this file on SQLite (FTS5) and on PostgreSQL (tsvector + GIN).
"""

import logging

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from qa.models import Question

from .helpers import client_for, csrf_post, make_question

HOSTILE = [
    '"',
    '""',
    "a AND",
    "AND",
    "OR",
    "or or",
    "NOT",
    "*",
    "**",
    "NEAR(",
    "NEAR(a b",
    ")))",
    "(((",
    "'",
    "''",
    "\\",
    ":",
    "title:",
    "{title}:",
    "^",
    "-",
    "--",
    "-python",
    "a:*",
    "!",
    "&|!<->",
    "<->",
    "x" * 5000,
    "python " * 400,
    "!@#$%^&*()_+-=[]{};':\",./<>?`~",
    "<script>alert(1)</script>",
    "\x00",
    "\x02\x03\ue000\ue001",
    "😀",
    "python\x00list",
    "%",
    "_",
]


@pytest.fixture
def titled(alice):
    """One question matches in its title, another only in its body (three times)."""
    in_title = make_question(alice, title="Routing requests in Flask", text="Nothing more to say.")
    in_body = make_question(
        alice,
        title="Why is my web app slow?",
        text="Routing, routing everywhere: my routing table is huge.",
    )
    return in_title, in_body


def result_ids(response) -> list[int]:
    return [q.pk for q in response.context["page"].object_list]


def suggest_ids(response) -> list[int]:
    return [r["id"] for r in response.json()["results"]]


def test_title_match_ranks_above_body_match(client, titled):
    in_title, in_body = titled
    response = client.get("/search/", {"q": "routing"})
    assert response.status_code == 200
    assert result_ids(response) == [in_title.pk, in_body.pk]
    # Suggestions search titles only: the dropdown shows titles.
    assert suggest_ids(client.get("/search/suggest/", {"q": "routing"})) == [in_title.pk]


def test_prefix_of_the_last_word_matches(client, titled):
    in_title, in_body = titled
    assert result_ids(client.get("/search/", {"q": "rout"})) == [in_title.pk, in_body.pk]
    assert result_ids(client.get("/search/", {"q": "flask rout"})) == [in_title.pk]
    assert result_ids(client.get("/search/", {"q": "Flask REQ"})) == [in_title.pk]
    # Only the last word is a prefix: "rout" in the middle must be a whole word.
    assert result_ids(client.get("/search/", {"q": "rout flask"})) == []


def test_all_words_must_match(client, titled):
    in_title, _ = titled
    assert result_ids(client.get("/search/", {"q": "flask requests"})) == [in_title.pk]
    assert result_ids(client.get("/search/", {"q": "flask huge"})) == []


def test_phrases_exclusions_and_or(client, alice, titled):
    in_title, in_body = titled
    assert result_ids(client.get("/search/", {"q": '"routing table"'})) == [in_body.pk]
    assert result_ids(client.get("/search/", {"q": '"table routing"'})) == []
    assert result_ids(client.get("/search/", {"q": "routing -flask"})) == [in_body.pk]
    assert set(result_ids(client.get("/search/", {"q": "flask or slow"}))) == {
        in_title.pk,
        in_body.pk,
    }


def test_edits_are_reflected(client, titled):
    in_title, _ = titled
    in_title.title = "Dispatching URLs in Django"
    in_title.save()
    assert in_title.pk not in result_ids(client.get("/search/", {"q": "flask"}))
    assert suggest_ids(client.get("/search/suggest/", {"q": "flask"})) == []
    assert result_ids(client.get("/search/", {"q": "dispatching"})) == [in_title.pk]
    assert suggest_ids(client.get("/search/suggest/", {"q": "dispat"})) == [in_title.pk]

    in_title.text = "Now the body mentions pyramid."
    in_title.save(update_fields=["text"])
    assert result_ids(client.get("/search/", {"q": "pyramid"})) == [in_title.pk]

    # Updates that do not touch title or text (votes, answer counts) keep the index as it is.
    Question.objects.filter(pk=in_title.pk).update(rating=5, answers_count=2)
    assert result_ids(client.get("/search/", {"q": "dispatching"})) == [in_title.pk]


def test_deleted_questions_disappear(client, titled):
    in_title, in_body = titled
    in_title.delete()
    assert result_ids(client.get("/search/", {"q": "routing"})) == [in_body.pk]
    assert suggest_ids(client.get("/search/suggest/", {"q": "rout"})) == []
    assert suggest_ids(client.get("/search/suggest/", {"q": "slow"})) == [in_body.pk]
    Question.objects.all().delete()
    assert result_ids(client.get("/search/", {"q": "routing"})) == []


@pytest.mark.parametrize("q", HOSTILE, ids=lambda q: repr(q[:20]))
def test_hostile_queries_are_harmless(client, titled, caplog, q):
    with caplog.at_level(logging.WARNING, logger="search"):
        page = client.get("/search/", {"q": q})
        suggest = client.get("/search/suggest/", {"q": q})
    assert page.status_code == 200
    assert suggest.status_code == 200
    assert isinstance(suggest.json()["results"], list)
    assert not caplog.records, "the index rejected a query built from user input"
    assert b"<script>alert" not in page.content


def test_punctuation_only_gives_a_message(client, titled):
    response = client.get("/search/", {"q": "!@#$ %^&*"})
    assert response.status_code == 200
    assert result_ids(response) == []
    assert "Nothing to search for" in response.content.decode()


def test_empty_query_gives_a_message(client, titled):
    response = client.get("/search/")
    assert response.status_code == 200
    assert result_ids(response) == []
    assert "Type a few words" in response.content.decode()
    assert client.get("/search/suggest/").json() == {"results": []}


def test_no_match_gives_a_message(client, titled):
    response = client.get("/search/", {"q": "haskell"})
    assert response.status_code == 200
    assert "No questions match" in response.content.decode()


def test_snippets_are_escaped_and_highlighted(client, alice):
    question = make_question(
        alice,
        title="How do I center a <div> in <b>CSS</b>?",
        text="My <script>alert('x')</script> layout: the div will not center.",
    )
    response = client.get("/search/", {"q": "center"})
    html = response.content.decode()
    assert result_ids(response) == [question.pk]
    assert "How do I <mark>center</mark> a &lt;div&gt; in &lt;b&gt;CSS&lt;/b&gt;?" in html
    assert "&lt;script&gt;alert(" in html
    assert "<script>alert" not in html
    assert "will not <mark>center</mark>" in html


def test_marker_characters_in_user_text_cannot_unbalance_the_html(client, alice):
    make_question(alice, title="Odd \ue001 title \ue000 with markers", text="odd text \ue000")
    html = client.get("/search/", {"q": "odd"}).content.decode()
    result = html[html.index('class="card mb-3 question-card search-result"') :]
    result = result[: result.index("</article>")]
    assert result.count("<mark>") == result.count("</mark>") >= 1


def test_query_is_kept_in_the_box(client, titled):
    html = client.get("/search/", {"q": 'rout "x" <b>'}).content.decode()
    assert 'value="rout &quot;x&quot; &lt;b&gt;"' in html


def test_results_are_paged_by_twenty(client, alice):
    for i in range(25):
        make_question(alice, title=f"Pagination question number {i}")
    first = client.get("/search/", {"q": "pagination"})
    second = client.get("/search/", {"q": "pagination", "page": "2"})
    assert first.context["page"].paginator.count == 25
    assert len(result_ids(first)) == 20
    assert len(result_ids(second)) == 5
    assert not set(result_ids(first)) & set(result_ids(second))
    assert 'href="?page=2&amp;q=pagination"' in first.content.decode()
    # Garbage page → first page, past the end → last page.
    assert result_ids(client.get("/search/", {"q": "pagination", "page": "x"})) == result_ids(first)
    assert result_ids(client.get("/search/", {"q": "pagination", "page": "99"})) == result_ids(
        second
    )


def test_results_page_runs_a_constant_number_of_queries(client, alice):
    def queries_for(n: int) -> int:
        Question.objects.all().delete()
        for i in range(n):
            make_question(alice, title=f"Constant query count {i}", tags=["python", f"t{i}"])
        with CaptureQueriesContext(connection) as ctx:
            assert len(result_ids(client.get("/search/", {"q": "constant"}))) == n
        return len(ctx.captured_queries)

    assert queries_for(2) == queries_for(12)


def test_suggest_returns_at_most_eight(client, alice):
    questions = [make_question(alice, title=f"Suggest me {i}") for i in range(11)]
    response = client.get("/search/suggest/", {"q": "sugg"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    results = response.json()["results"]
    assert len(results) == 8
    by_id = {q.pk: q for q in questions}
    for result in results:
        assert set(result) == {"id", "title", "url"}
        assert result["title"] == by_id[result["id"]].title
        assert result["url"] == f"/question/{result['id']}/"


def test_suggest_is_get_only(alice, titled):
    response = csrf_post(client_for(alice), "/search/suggest/", {"q": "rout"})
    assert response.status_code == 405
    assert response.json() == {"error": "method not allowed"}
    assert "GET" in response["Allow"]


def test_non_ascii_words_match_case_insensitively(client, alice):
    question = make_question(alice, title="Как прочитать файл в Питоне?", text="Построчно.")
    assert result_ids(client.get("/search/", {"q": "питоне"})) == [question.pk]
    assert result_ids(client.get("/search/", {"q": "ФАЙЛ пит"})) == [question.pk]
    assert suggest_ids(client.get("/search/suggest/", {"q": "прочит"})) == [question.pk]


def test_only_the_newest_matches_are_ranked_when_too_many_match(client, alice, monkeypatch):
    """A two-letter prefix can match most of the site: ranking is bounded to a window."""
    monkeypatch.setattr("search.engine.CANDIDATES", 5)
    old_title = make_question(alice, title="Window in the title", text="Old.")
    newer = [make_question(alice, title=f"Newer {i}", text="Window in the body.") for i in range(6)]
    response = client.get("/search/", {"q": "window"})
    html = response.content.decode()
    # Only the 5 newest matches are ranked (and shown); the old title match is outside them.
    assert result_ids(response) == [q.pk for q in reversed(newer[1:])]
    assert old_title.pk not in result_ids(response)
    assert "More than 5 questions match" in html
    assert response.context["page"].paginator.count == 5
