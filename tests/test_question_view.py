import json

import pytest
from django.conf import settings
from django.core import mail
from django.core.cache import cache

from core.generation import site_changed
from qa.models import ANSWERS_PER_PAGE, Answer, Question

from .helpers import client_for, csrf_post, make_answer, make_question, queries_of_get

pytestmark = pytest.mark.django_db


def test_unknown_question_is_a_404_page(db):
    response = client_for().get("/question/999999/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_answers_sorted_by_rating_then_date(alice, bob):
    question = make_question(alice)
    first = make_answer(question, bob, text="first answer text")
    best = make_answer(question, bob, text="best answer text")
    third = make_answer(question, bob, text="third answer text")
    Answer.objects.filter(pk=best.pk).update(rating=5)
    response = client_for().get(question.get_absolute_url())
    assert [a.pk for a in response.context["answers"]] == [best.pk, first.pk, third.pk]


def test_thirty_answers_per_page(alice, bob):
    question = make_question(alice)
    for i in range(35):
        make_answer(question, bob, text=f"answer {i}")
    page1 = client_for().get(question.get_absolute_url())
    page2 = client_for().get(question.get_absolute_url() + "?page=2")
    assert len(page1.context["answers"]) == 30
    assert len(page2.context["answers"]) == 5
    first_page = [a.pk for a in page1.context["answers"]]
    last_page = [a.pk for a in page2.context["answers"]]
    for garbage, expected in (
        ("x", first_page),
        ("", first_page),
        ("-3", first_page),
        ("0", first_page),
        ("99", last_page),
        ("2.5", first_page),
    ):
        response = client_for().get(question.get_absolute_url(), {"page": garbage})
        assert response.status_code == 200, garbage
        assert [a.pk for a in response.context["answers"]] == expected, garbage


def test_correct_answer_is_marked(alice, bob):
    question = make_question(alice)
    make_answer(question, bob, is_correct=True)
    body = client_for().get(question.get_absolute_url()).content.decode()
    assert "answer is-correct" in body


def test_answer_form_for_members_login_link_for_guests(alice):
    question = make_question(alice)
    guest = client_for().get(question.get_absolute_url()).content.decode()
    assert 'name="text"' not in guest
    assert f"/login/?continue=/question/{question.pk}/" in guest
    member = client_for(alice).get(question.get_absolute_url()).content.decode()
    assert 'name="text"' in member


def test_posting_an_answer_redirects_to_its_page_and_anchor(alice, bob):
    question = make_question(alice)
    for i in range(30):
        make_answer(question, alice, text=f"earlier answer {i}")
    client = client_for(bob)
    response = csrf_post(client, question.get_absolute_url(), {"text": "My brand new answer"})
    answer = Answer.objects.get(text="My brand new answer")
    assert response.status_code == 302
    assert response["Location"] == f"/question/{question.pk}/?page=2#answer-{answer.pk}"
    question.refresh_from_db()
    assert question.answers_count == 31


def test_answer_link_finds_the_answer_on_its_page_however_votes_moved_it(alice, bob, carol):
    question = make_question(alice)
    answer = make_answer(question, bob, text="Starts on top, then sinks")
    for i in range(30):
        make_answer(question, alice, text=f"later answer {i}")
    link = f"/answer/{answer.pk}/"
    assert client_for().get(link)["Location"] == f"/question/{question.pk}/#answer-{answer.pk}"
    Answer.objects.exclude(pk=answer.pk).update(rating=1)  # the others overtake it
    response = client_for().get(link)
    assert response.status_code == 302
    assert response["Location"] == f"/question/{question.pk}/?page=2#answer-{answer.pk}"
    assert client_for().get("/answer/999999/").status_code == 404
    user_page = client_for().get("/user/bob/").content.decode()
    assert f'href="{link}"' in user_page


def test_new_answer_emails_the_question_author(alice, bob, django_capture_on_commit_callbacks):
    question = make_question(alice, title="Where are my e-mails going?")
    with django_capture_on_commit_callbacks(execute=True):
        csrf_post(client_for(bob), question.get_absolute_url(), {"text": "Check the spam folder."})
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["alice@example.com"]
    assert "Where are my e-mails going?" in mail.outbox[0].subject
    assert "Check the spam folder." in mail.outbox[0].body
    answer = Answer.objects.get()
    assert f"{settings.SITE_URL}/answer/{answer.pk}/\n" in mail.outbox[0].body


def test_own_answer_sends_no_email(alice, django_capture_on_commit_callbacks):
    question = make_question(alice)
    with django_capture_on_commit_callbacks(execute=True):
        csrf_post(client_for(alice), question.get_absolute_url(), {"text": "Answering myself"})
    assert mail.outbox == []


def test_invalid_answer_keeps_the_text(alice, bob):
    question = make_question(alice)
    response = csrf_post(client_for(bob), question.get_absolute_url(), {"text": "x"})
    assert response.status_code == 400
    assert ">x</textarea>" in response.content.decode()
    assert not Answer.objects.exists()


def test_the_empty_answer_form_never_shows_what_somebody_typed(alice, bob, carol):
    """The empty answer field is rendered once per process ({% chrome %}); a form sent back
    with its errors is not, before or after."""
    url = make_question(alice).get_absolute_url()
    empty = '<textarea name="text" id="id_text" rows="6" class="form-control"></textarea>'
    assert empty in client_for(carol).get(url).content.decode()
    typed = csrf_post(client_for(bob), url, {"text": "<"}).content.decode()  # too short
    assert "&lt;</textarea>" in typed and "is-invalid" in typed
    assert empty in client_for(carol).get(url).content.decode()
    again = csrf_post(client_for(carol), url, {"text": "z"}).content.decode()
    assert ">z</textarea>" in again and "&lt;</textarea>" not in again


def test_answer_without_csrf_token_is_refused(alice, bob):
    question = make_question(alice)
    response = client_for(bob).post(question.get_absolute_url(), {"text": "no token here"})
    assert response.status_code == 403
    assert not Answer.objects.exists()


def test_guest_post_goes_to_login(alice):
    question = make_question(alice)
    response = csrf_post(client_for(), question.get_absolute_url(), {"text": "guest answer"})
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?continue=")
    assert not Answer.objects.exists()


def _queries(url, user):
    return len(queries_of_get(client_for(user), url)[0])


def test_question_page_uses_constant_queries(alice, bob, carol):
    question = make_question(alice, tags=["a", "b"])
    make_answer(question, bob)
    url = question.get_absolute_url()

    def counts() -> tuple[int, int, int]:
        cache.clear()  # nothing rendered yet: every fragment is rendered (and read) afresh
        cold = _queries(url, None)
        site_changed()  # the page's shared parts again, from the fragments cached just now
        fragments = _queries(url, carol)
        return cold, fragments, _queries(url, carol)  # …, and the parts kept whole

    few = counts()
    for i in range(29):
        make_answer(question, bob if i % 2 else carol, text=f"answer {i}")
    assert counts() == few


def test_ask_creates_question_with_tags(alice):
    response = csrf_post(
        client_for(alice),
        "/ask/",
        {
            "title": "How to split a string?",
            "text": "I have 'a,b' and want ['a', 'b'].",
            "tags": "python, Strings  split",
        },
    )
    question = Question.objects.get()
    assert response.status_code == 302 and response["Location"] == question.get_absolute_url()
    assert sorted(t.name for t in question.tags.all()) == ["python", "split", "strings"]


@pytest.mark.parametrize(
    "tags,message",
    [("a b c d", "At most 3 tags"), ("bad<tag>", "is not valid"), ("ok, -dash", "is not valid")],
)
def test_ask_rejects_bad_tags_and_keeps_input(alice, tags, message):
    data = {
        "title": "A perfectly fine title",
        "text": "A perfectly fine body of text.",
        "tags": tags,
    }
    response = csrf_post(client_for(alice), "/ask/", data)
    body = response.content.decode()
    assert response.status_code == 400
    assert message in body
    assert "A perfectly fine body of text." in body
    assert not Question.objects.exists()


def test_ask_requires_login(db):
    response = client_for().get("/ask/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=/ask/")


def test_logged_out_readers_get_every_vote_button_disabled_in_one_place(alice, bob, carol):
    """The answer partial is the same for everybody (it is also pushed live); the page decides
    once, on the fieldset around the posts, whether its buttons work."""
    question = make_question(alice)
    make_answer(question, bob)
    guest = client_for().get(question.get_absolute_url()).content.decode()
    member = client_for(carol).get(question.get_absolute_url()).content.decode()
    assert '<fieldset class="d-contents" disabled title="Log in to vote">' in guest
    assert '<fieldset class="d-contents">' in member
    for body in (guest, member):
        assert "disabled" not in body.split('id="answers"')[1].split("</fieldset>")[0]


def test_words_live_js_shows_come_from_the_page(alice, bob):
    question = make_question(alice)
    make_answer(question, bob)
    body = client_for(alice).get(question.get_absolute_url()).content.decode()
    assert 'data-label-on="Unmark correct" data-label-off="Mark as correct"' in body
    assert 'data-label-one="{n} new answer — show"' in body
    assert '<h2 class="h5 mb-0" id="answers-heading" data-count="1">1 answer' in body
    assert 'data-label-other="{n} reading"' in body


def test_cached_answers_follow_votes_marks_edits_and_comments(alice, bob, carol):
    """Answers are cached as rendered fragments; whatever they show that can change is part of
    the key, so a page never shows an old rating, mark, text or comment list."""
    from qa.services import answer_edit, answer_mark_correct, comment_create, vote_set

    question = make_question(alice)
    answer = make_answer(question, bob, text="First version of the answer.")
    url = question.get_absolute_url()

    def article() -> str:
        body = client_for(carol).get(url).content.decode()
        return body.split(f'id="answer-{answer.pk}"')[1].split("</article>")[0]

    assert "First version" in article()  # rendered and cached
    vote_set(user=carol, target=answer, value=1)
    assert "data-rating>1</span>" in article()
    answer_mark_correct(answer=answer, correct=True)
    assert "Unmark correct" in article()
    answer_edit(answer=answer, editor=bob, text="Second version of the answer.")
    assert "Second version" in article() and "First version" not in article()
    comment_create(post=answer, author=alice, text="A fresh remark")
    assert "A fresh remark" in article()
    # the commenter's reputation is part of the comment list's key (read by a subquery)
    type(alice.profile).objects.filter(user=alice).update(reputation=4321)
    assert 'title="reputation">4321</span>' in article().split("A fresh remark")[1]
    bob.profile.display_name = "Bob Renamed"
    bob.profile.save()
    assert "Bob Renamed" in article()
    type(bob.profile).objects.filter(pk=bob.profile.pk).update(avatar="avatars/b.png")
    assert "avatars/b.png" in article()


def test_the_page_tells_scripts_which_answers_the_viewer_voted(alice, bob, carol):
    from qa.services import vote_set

    question = make_question(alice)
    up, down, none = (make_answer(question, bob, text=f"answer {n}") for n in range(3))
    vote_set(user=carol, target=up, value=1)
    vote_set(user=carol, target=down, value=-1)
    page = client_for(carol).get(question.get_absolute_url())
    assert json.loads(page.context["my_votes_json"]) == {str(up.pk): 1, str(down.pk): -1}
    assert "data-my-votes=" in page.content.decode()
    assert client_for().get(question.get_absolute_url()).context["my_votes_json"] == "{}"


def test_the_viewers_vote_on_the_question_shows_and_nobody_elses(alice, bob, carol):
    from qa.services import vote_set

    question = make_question(alice)
    answer = make_answer(question, bob)
    vote_set(user=carol, target=question, value=-1)
    vote_set(user=bob, target=question, value=1)
    vote_set(user=carol, target=answer, value=1)
    page = client_for(carol).get(question.get_absolute_url())
    assert page.context["my_question_vote"] == -1
    assert json.loads(page.context["my_votes_json"]) == {str(answer.pk): 1}
    assert client_for(bob).get(question.get_absolute_url()).context["my_question_vote"] == 1
    assert client_for(alice).get(question.get_absolute_url()).context["my_question_vote"] == 0


def test_the_viewers_votes_show_when_the_session_was_read_before_the_page(alice, bob, carol):
    """A refused answer (the POST reads the member first): the votes are read on their own."""
    from qa.services import vote_set

    question = make_question(alice)
    answer = make_answer(question, bob)
    vote_set(user=carol, target=question, value=1)
    vote_set(user=carol, target=answer, value=-1)
    page = csrf_post(client_for(carol), question.get_absolute_url(), {"text": ""})
    assert page.status_code == 400
    assert page.context["my_question_vote"] == 1
    assert json.loads(page.context["my_votes_json"]) == {str(answer.pk): -1}


@pytest.mark.parametrize("answers", [3, 35])
def test_the_page_resumes_live_from_the_newest_answer_of_the_question(alice, bob, answers):
    question = make_question(alice)
    made = [make_answer(question, bob, text=f"answer number {n}") for n in range(answers)]
    Answer.objects.filter(pk=made[-1].pk).update(rating=-5)  # the newest sorts last
    body = client_for(bob).get(question.get_absolute_url()).content.decode()
    assert f'data-last-answer-id="{made[-1].pk}"' in body
    if answers > ANSWERS_PER_PAGE:  # the second page holds it; the first does not
        body = client_for(bob).get(question.get_absolute_url() + "?page=2").content.decode()
        assert f'data-last-answer-id="{made[-1].pk}"' in body


def test_a_question_with_several_pages_costs_no_query_more(alice, bob, carol):
    """The newest answer id of a question with more than one page comes with the page's rows."""
    few, many = make_question(alice), make_question(alice, title="Another question here?")
    make_answer(few, bob)
    for i in range(ANSWERS_PER_PAGE + 3):
        make_answer(many, bob if i % 2 else carol, text=f"answer {i}")
    for url in (few.get_absolute_url(), many.get_absolute_url()):
        _queries(url, carol)  # fragments rendered and cached
    assert _queries(many.get_absolute_url(), carol) == _queries(few.get_absolute_url(), carol)


def test_the_cached_question_body_follows_edits_and_its_author(alice, bob):
    from qa.services import question_edit

    question = make_question(alice, title="The first title of this question", tags=["python"])
    url = question.get_absolute_url()

    def body() -> str:
        page = client_for(bob).get(url).content.decode()
        return page.split('data-post-body="question-')[1].split("data-comments-for=")[0]

    assert "The first title" in body() and 'href="/tag/python/"' in body()
    question_edit(
        question=question,
        editor=alice,
        title="The second title of this question",
        text="The text after the edit.",
        tags=["rust", "go"],
    )
    after = body()
    assert "The second title" in after and "The text after the edit." in after
    assert 'href="/tag/rust/"' in after and 'href="/tag/python/"' not in after
    alice.profile.display_name = "Alice Renamed"
    alice.profile.save()
    assert "Alice Renamed" in body()
    type(alice.profile).objects.filter(pk=alice.profile.pk).update(reputation=777)
    assert ">777</span>" in body()
