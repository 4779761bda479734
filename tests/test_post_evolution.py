"""Posts that evolve: edits with revisions, comments, deletion — permissions, rules, what lists,
search and the live catch-up see afterwards."""

import re
import time

import pytest
from django.core.cache import cache

from qa import markdown
from qa.models import Answer, Comment, Question, Revision
from qa.services import answer_edit, comment_create, question_edit

from .helpers import client_for, csrf_post, make_answer, make_question, make_user, queries_of_get

pytestmark = pytest.mark.django_db
XSS = "<img src=x onerror=alert(1)>"
JSON = {"HTTP_ACCEPT": "application/json"}


def edit_question(client, question, **changes):
    data = {
        "title": question.title,
        "text": question.text,
        "tags": " ".join(t.name for t in question.tags.all()),
        **changes,
    }
    return csrf_post(client, f"/question/{question.pk}/edit/", data)


# -- edit -----------------------------------------------------------------------------------


def test_the_author_edits_and_the_history_keeps_both_versions(alice):
    question = make_question(alice, title="Original title of mine", tags=["python"])
    page = client_for(alice).get(f"/question/{question.pk}/edit/")
    assert page.status_code == 200 and "Original title of mine" in page.content.decode()

    response = edit_question(
        client_for(alice), question, title="Better title of mine", summary="clearer title"
    )
    assert response.status_code == 302 and response["Location"] == question.get_absolute_url()
    question.refresh_from_db()
    assert question.title == "Better title of mine" and question.edited_at is not None
    assert list(question.revisions.values_list("number", "title", "summary")) == [
        (2, "Better title of mine", "clearer title"),
        (1, "Original title of mine", ""),
    ]
    body = client_for().get(question.get_absolute_url()).content.decode()
    assert "edited <time" in body and f"/question/{question.pk}/revisions/" in body


def test_an_edit_that_changes_nothing_writes_no_revision(alice):
    question = make_question(alice, tags=["python"])
    assert edit_question(client_for(alice), question).status_code == 302
    assert not Revision.objects.exists()


def test_others_cannot_edit_guests_go_to_log_in_moderators_may(alice, bob):
    question = make_question(alice)
    answer = make_answer(question, alice)
    for url in (f"/question/{question.pk}/edit/", f"/answer/{answer.pk}/edit/"):
        assert client_for(bob).get(url).status_code == 403
        assert client_for().get(url)["Location"].startswith("/login/")
    assert edit_question(client_for(bob), question, title="Hijacked title here").status_code == 403
    moderator = make_user("mod", is_staff=True)
    response = edit_question(client_for(moderator), question, title="Moderated title here")
    assert response.status_code == 302
    assert Question.objects.get().title == "Moderated title here"
    assert question.revisions.first().author == moderator


def test_edits_are_validated_like_new_posts_and_keep_what_was_typed(alice, monkeypatch):
    # This text takes about the whole render budget here; a fifth of it makes it certain.
    monkeypatch.setattr(markdown, "RENDER_BUDGET", markdown.RENDER_BUDGET / 5)
    question = make_question(alice)
    response = edit_question(client_for(alice), question, title="short", text="![" * 10_000)
    assert response.status_code == 400
    body = response.content.decode()
    assert "too complex to format" in body and "![![![" in body
    assert Question.objects.get().title == question.title


def test_retagging_moves_the_question_between_tag_lists_and_search(alice):
    question = make_question(alice, title="Where do generators stop?", tags=["python"])
    edit_question(client_for(alice), question, tags="rust", text="Iterators in rust stop when.")
    assert client_for().get("/tag/python/").context["page"].paginator.count == 0
    assert [q.pk for q in client_for().get("/tag/rust/").context["page"].object_list] == [
        question.pk
    ]
    found = client_for().get("/search/", {"q": "iterators"}).context["page"].object_list
    assert [q.pk for q in found] == [question.pk]


def test_answer_edit_and_its_revisions_escape_hostile_text(alice, bob):
    question = make_question(alice)
    answer = make_answer(question, bob, text="Use reversed() on the list.")
    response = csrf_post(
        client_for(bob),
        f"/answer/{answer.pk}/edit/",
        {"text": f"Use slicing {XSS} on the list.", "summary": f"why {XSS}"},
    )
    assert response.status_code == 302
    body = client_for().get(f"/answer/{answer.pk}/revisions/").content.decode()
    assert XSS not in body
    assert '<del class="diff-removed">reversed()</del>' in body
    assert '<ins class="diff-added">slicing &lt;img src=x onerror=alert(1)&gt;</ins>' in body
    assert "why &lt;img" in body
    assert body.index("Revision 2") < body.index("Revision 1")


def test_a_post_never_edited_shows_itself_as_revision_one(alice):
    question = make_question(alice, title="First and only version", tags=["go"])
    body = client_for().get(f"/question/{question.pk}/revisions/").content.decode()
    assert "Revision 1" in body and "original post" in body and "First and only version" in body


# -- comments -------------------------------------------------------------------------------


def test_members_comment_with_code_and_links_and_no_images(alice, bob):
    question = make_question(alice)
    text = f"Which `python -V`? See [docs](https://docs.python.org) ![i](http://x/y.png) {XSS}"
    response = csrf_post(
        client_for(bob), f"/question/{question.pk}/comments/", {"text": text}, **JSON
    )
    assert response.status_code == 201
    html = response.json()["html"]
    assert "<code>python -V</code>" in html and 'href="https://docs.python.org"' in html
    assert "<img" not in html and "&lt;img src=x" in html
    comment = Comment.objects.get()
    assert comment.question == question and comment.answer is None
    page = client_for().get(question.get_absolute_url()).content.decode()
    assert "<code>python -V</code>" in page


def test_comment_rules_and_statuses(alice, bob):
    question = make_question(alice)
    answer = make_answer(question, bob)
    url = f"/answer/{answer.pk}/comments/"
    assert csrf_post(client_for(), url, {"text": "hello there"}, **JSON).status_code == 401
    assert csrf_post(client_for(), url, {"text": "hello there"})["Location"].startswith("/login/")
    assert client_for(bob).get(url, **JSON).status_code == 405
    too_long = csrf_post(client_for(bob), url, {"text": "x" * 601}, **JSON)
    assert too_long.status_code == 400 and "600" in too_long.json()["error"]
    assert (
        csrf_post(client_for(bob), "/answer/999999/comments/", {"text": "hi!"}, **JSON).status_code
        == 404
    )
    plain = csrf_post(client_for(alice), url, {"text": "Works for me."})
    assert plain.status_code == 302
    assert Comment.objects.get().answer == answer


def test_only_the_author_or_a_moderator_deletes_a_comment(alice, bob, carol):
    question = make_question(alice)
    comment = comment_create(post=question, author=bob, text="Which version?")
    url = f"/comment/{comment.pk}/delete/"
    assert csrf_post(client_for(carol), url, **JSON).status_code == 403
    assert csrf_post(client_for(bob), url, **JSON).json() == {"deleted": True}
    assert not Comment.objects.visible().exists()
    assert csrf_post(client_for(bob), url, **JSON).status_code == 404
    assert "Which version?" not in client_for().get(question.get_absolute_url()).content.decode()


def test_the_first_five_comments_show_then_show_more(alice, bob):
    question = make_question(alice)
    for n in range(7):
        comment_create(post=question, author=bob, text=f"Comment number {n}")
    body = client_for().get(question.get_absolute_url()).content.decode()
    assert body.count("comment-hidden") == 2
    assert "show 2 more comments" in body
    assert body.index("Comment number 0") < body.index("Comment number 6")


def test_question_page_queries_do_not_grow_with_answers_and_comments(alice, bob, carol):
    question = make_question(alice)
    first = make_answer(question, bob)
    comment_create(post=first, author=carol, text="the first comment")
    url = question.get_absolute_url()
    cache.clear()  # both counts below render every fragment afresh
    few = len(queries_of_get(client_for(carol), url)[0])
    for n in range(10):
        answer = make_answer(question, bob, text=f"Answer {n} with enough text")
        for m in range(5):
            comment_create(post=answer, author=carol, text=f"comment {m} on answer {n}")
    comment_create(post=question, author=carol, text="on the question")
    cache.clear()
    many, response = queries_of_get(client_for(carol), url)
    assert len(many) == few
    assert response.content.decode().count('class="comment small') == 52
    # Rendered comment lists are cached under the ids they hold, posts under what they show:
    # the next view reads no comment rows, no answer models and not the question's tags.
    warm, again = queries_of_get(client_for(carol), url)
    assert len(warm) == few - 3
    comments = re.compile(r'<ul class="list-unstyled mb-1 comment-list">.*?</ul>', re.S)
    assert comments.findall(again.content.decode()) == comments.findall(response.content.decode())
    # A new comment changes its list's ids, so that list is rendered afresh.
    comment_create(post=first, author=bob, text="a brand new comment")
    assert "a brand new comment" in client_for(carol).get(url).content.decode()


# -- delete ---------------------------------------------------------------------------------


def test_deleting_an_answer_hides_it_and_fixes_the_count(alice, bob, carol):
    question = make_question(alice)
    answer = make_answer(question, bob, text="An answer that goes away")
    assert csrf_post(client_for(carol), f"/answer/{answer.pk}/delete/", **JSON).status_code == 403
    assert csrf_post(client_for(bob), f"/answer/{answer.pk}/delete/").status_code == 302
    question.refresh_from_db()
    assert question.answers_count == 0
    assert (
        "An answer that goes away"
        not in client_for().get(question.get_absolute_url()).content.decode()
    )
    assert client_for(carol).get(f"/answer/{answer.pk}/").status_code == 404
    stored = Answer.all_objects.get()
    assert stored.deleted_by == bob and stored.text == "An answer that goes away"


def test_a_question_with_a_positively_scored_answer_cannot_be_deleted_by_its_author(alice, bob):
    question = make_question(alice)
    make_answer(question, bob, rating=1)
    response = csrf_post(client_for(alice), f"/question/{question.pk}/delete/", **JSON)
    assert response.status_code == 403 and "positive score" in response.json()["error"]
    Answer.objects.update(rating=0)
    assert csrf_post(client_for(alice), f"/question/{question.pk}/delete/").status_code == 302


def test_a_deleted_question_leaves_lists_search_and_counts_but_not_its_author(alice, bob):
    question = make_question(alice, title="Vanishing generators question", tags=["python"])
    other = make_question(alice, title="Staying question about lists", tags=["python"])
    assert csrf_post(client_for(alice), f"/question/{question.pk}/delete/").status_code == 302
    for url in ("/", "/hot/", "/tag/python/"):
        page = client_for().get(url).context["page"]
        assert [q.pk for q in page.object_list] == [other.pk] and page.paginator.count == 1
    assert client_for().get("/search/", {"q": "vanishing"}).context["page"].paginator.count == 0
    assert client_for().get("/search/suggest/", {"q": "vanish"}).json()["results"] == []
    assert client_for(bob).get(question.get_absolute_url()).status_code == 404
    assert client_for().get(f"/question/{question.pk}/live/").status_code == 404
    mine = client_for(alice).get(question.get_absolute_url())
    assert mine.status_code == 200 and "This question was deleted" in mine.content.decode()
    moderator = make_user("mod", is_staff=True)
    assert client_for(moderator).get(question.get_absolute_url()).status_code == 200
    assert (
        csrf_post(client_for(bob), f"/question/{question.pk}/undelete/", **JSON).status_code == 403
    )
    assert csrf_post(client_for(moderator), f"/question/{question.pk}/undelete/").status_code == 302
    assert client_for(bob).get(question.get_absolute_url()).status_code == 200


# -- catch-up ---------------------------------------------------------------------------------


def test_catch_up_brings_edits_comments_and_deletions_since_a_time(alice, bob, carol):
    question = make_question(alice)
    answer = make_answer(question, bob, text="First text of the answer")
    gone = make_answer(question, carol, text="Soon deleted")
    doomed = comment_create(post=question, author=carol, text="a doomed comment")
    since = int(time.time() * 1000) - 1
    answer_edit(answer=answer, editor=bob, text=f"Second text {XSS}")
    question_edit(
        question=question, editor=alice, title="A new title for it", text=question.text, tags=[]
    )
    kept = comment_create(post=answer, author=alice, text=f"nice {XSS}")
    csrf_post(client_for(carol), f"/answer/{gone.pk}/delete/")
    csrf_post(client_for(carol), f"/comment/{doomed.pk}/delete/")

    body = (
        client_for()
        .get(f"/question/{question.pk}/live/", {"after": gone.pk, "since": since})
        .json()
    )
    by_type = {}
    for message in body["messages"]:
        by_type.setdefault(message["type"], []).append(message)
    assert {(m["target"], m["id"]) for m in by_type["edit"]} == {
        ("question", question.pk),
        ("answer", answer.pk),
    }
    answer_edit_html = next(m for m in by_type["edit"] if m["target"] == "answer")["html"]
    assert XSS not in answer_edit_html and "&lt;img src=x" in answer_edit_html
    assert [m["comment"] for m in by_type["comment"]] == [kept.pk]
    assert XSS not in by_type["comment"][0]["html"]
    assert [m["answer"] for m in by_type["answer_deleted"]] == [gone.pk]
    assert [m["comment"] for m in by_type["comment_deleted"]] == [doomed.pk]
    assert body["answers_count"] == 1 and body["answers_label"] == "1 answer"
    assert body["since"] > since - 10_000

    later = (
        client_for()
        .get(f"/question/{question.pk}/live/", {"after": gone.pk, "since": body["since"] + 10_000})
        .json()
    )
    assert later["messages"] == []


def test_comments_and_edits_are_rate_limited_per_user(alice, bob, settings):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "comment": (2, 600), "edit": (1, 600)}
    question = make_question(alice)
    url = f"/question/{question.pk}/comments/"
    for n in range(2):
        assert csrf_post(client_for(bob), url, {"text": f"comment {n}"}, **JSON).status_code == 201
    refused = csrf_post(client_for(bob), url, {"text": "one too many"}, **JSON)
    assert refused.status_code == 429 and "too often" in refused.json()["error"]
    assert csrf_post(client_for(alice), url, {"text": "alice may"}, **JSON).status_code == 201
    assert edit_question(client_for(alice), question, title="A first edit of it").status_code == 302
    again = edit_question(client_for(alice), question, title="A second edit of it")
    assert again.status_code == 400 and "too often" in again.content.decode()
    assert "A second edit of it" in again.content.decode()  # what was typed is kept


def test_each_answer_page_shows_the_questions_comments_and_only_its_own_answers(alice, bob):
    question = make_question(alice)
    answers = [make_answer(question, bob, text=f"Answer number {n} here") for n in range(31)]
    comment_create(post=question, author=bob, text="On the question itself")
    comment_create(post=answers[0], author=alice, text="On the first answer")
    comment_create(post=answers[30], author=alice, text="On the last answer")
    url = question.get_absolute_url()
    first = client_for(bob).get(url).content.decode()
    second = client_for(bob).get(url + "?page=2").content.decode()
    assert "On the question itself" in first and "On the question itself" in second
    assert "On the first answer" in first and "On the first answer" not in second
    assert "On the last answer" in second and "On the last answer" not in first
