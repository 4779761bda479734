import io
import time

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from qa import markdown
from qa.markdown import render_markdown
from qa.models import Answer, Question

from .helpers import client_for, csrf_post, make_answer, make_question

pytestmark = pytest.mark.django_db
SCRIPT = "<script>alert('x')</script>"
ESCAPED = "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;"


def test_markdown_renders_code_and_emphasis():
    html = render_markdown("Some **bold** and `code`\n\n```python\nprint('hi')\n```")
    assert "<strong>bold</strong>" in html
    assert "<code>code</code>" in html
    assert '<pre><code class="language-python">' in html


def test_markdown_shows_raw_html_as_text():
    html = render_markdown(f"hello {SCRIPT} <img src=x onerror=alert(1)>")
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;" in html


@pytest.mark.parametrize(
    "source",
    [
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[click](data:text/html;base64,PHNjcmlwdD4=)",
        "<javascript:alert(1)>",
    ],
)
def test_markdown_drops_dangerous_links(source):
    html = render_markdown(source).lower()
    assert "<a" not in html  # the link is dropped; its text stays as harmless text
    assert 'href="javascript' not in html and 'href="data' not in html


def test_markdown_links_are_nofollow():
    assert 'rel="nofollow noopener noreferrer"' in render_markdown("[x](https://example.com)")


def test_script_in_title_answer_tag_and_username_is_text(db):
    user = get_user_model().objects.create_user(username="evil<script>", password="x-pass-word-1")
    question = make_question(user, title=f"Title {SCRIPT}", text=f"Body {SCRIPT}", tags=["c++"])
    make_answer(question, user, text=f"Answer {SCRIPT}")
    pages = [
        client_for().get("/").content.decode(),
        client_for().get(question.get_absolute_url()).content.decode(),
        client_for().get("/user/evil<script>/").content.decode(),
    ]
    for body in pages:
        assert SCRIPT not in body
        assert "<script>alert" not in body
    assert ESCAPED in pages[1]
    assert "evil&lt;script&gt;" in pages[1]


# Each of these took 0.3–1.3 s to render in markdown-it-py (the first two on every view, before
# posts kept their HTML); the last one makes ~250 KB of HTML.
PATHOLOGICAL = {
    "images": "![" * 10_000,
    "links in images": "[![" * 6_666,
    "brackets": "[" * 20_000,
    "underscores": "_a" * 10_000,
    "emoji autolink": "<https://a.co/" + "\U0001f600" * 19_000 + ">",
}


@pytest.mark.parametrize("name", PATHOLOGICAL)
def test_a_pathological_text_renders_or_is_refused_within_the_bound(name):
    started = time.thread_time()  # CPU time: the bound holds however busy the machine is
    try:
        render_markdown(PATHOLOGICAL[name])
    except markdown.MarkdownTooComplex:
        pass
    assert time.thread_time() - started < markdown.RENDER_BUDGET + 0.1


def test_a_text_that_makes_too_much_html_is_refused():
    # Refused by its size, whatever the machine's speed. (The slow ones, such as "images",
    # take about the budget itself here, ~0.23 s of CPU: rendered or refused depending on the
    # machine, within the bound either way, which is what the test above checks.)
    with pytest.raises(markdown.MarkdownTooComplex):
        render_markdown(PATHOLOGICAL["emoji autolink"])


def test_a_long_ordinary_text_still_renders():
    text = ("Some **bold** text with `code` and [a link](https://example.com).\n\n" * 280)[:19_990]
    assert render_markdown(text).count("<strong>bold</strong>") > 250


def test_the_answer_form_says_why_and_keeps_the_text(alice, bob, monkeypatch):
    # "images" takes about the whole budget here; a fifth of it makes the refusal certain.
    monkeypatch.setattr(markdown, "RENDER_BUDGET", markdown.RENDER_BUDGET / 5)
    question = make_question(alice)
    text = PATHOLOGICAL["images"]
    response = csrf_post(client_for(bob), question.get_absolute_url(), {"text": text})
    assert response.status_code == 400
    body = response.content.decode()
    assert "too complex to format" in body
    assert text in body  # what was typed is still in the textarea
    assert not Answer.objects.exists()


def test_the_ask_form_says_why_and_keeps_the_text(alice):
    data = {"title": "A question with a huge link", "text": PATHOLOGICAL["emoji autolink"]}
    response = csrf_post(client_for(alice), "/ask/", data)
    assert response.status_code == 400
    assert "too much HTML" in response.content.decode()
    assert not Question.objects.exists()


def test_posts_store_their_html_and_pages_never_parse_markdown(alice, bob, monkeypatch):
    question = make_question(alice, text="Question **body** here, long enough.")
    csrf_post(client_for(bob), question.get_absolute_url(), {"text": "An *answer*."})
    answer = Answer.objects.get()
    assert answer.text_html == "<p>An <em>answer</em>.</p>\n"
    assert "<strong>body</strong>" in Question.objects.get().text_html

    def no_parsing(*args, **kwargs):
        raise AssertionError("a page view parsed Markdown")

    monkeypatch.setattr(markdown, "_render", no_parsing)
    for url in (question.get_absolute_url(), "/", f"/question/{question.pk}/live/?after=0"):
        assert client_for(bob).get(url).status_code == 200
    page = client_for(bob).get(question.get_absolute_url()).content.decode()
    assert "An <em>answer</em>." in page and "<strong>body</strong>" in page


def test_stored_texts_out_of_bounds_become_plain_text_not_lost(alice):
    question = make_question(alice, text=PATHOLOGICAL["brackets"][:5000] + " <b>tail</b>")
    assert question.text_html.startswith("<p>[[[")
    assert "&lt;b&gt;tail&lt;/b&gt;" in question.text_html


def test_render_posts_rerenders_every_post(alice, bob):
    question = make_question(alice, text="Question **body** here, long enough.")
    answer = make_answer(question, bob, text="An *answer*.")
    Question.objects.update(text_html="<p>stale</p>")
    Answer.objects.update(text_html="")
    out = io.StringIO()
    call_command("render_posts", stdout=out)
    assert out.getvalue().startswith("render_posts: 1 questions, 1 answers re-rendered in ")
    question.refresh_from_db()
    answer.refresh_from_db()
    assert "<strong>body</strong>" in question.text_html
    assert answer.text_html == "<p>An <em>answer</em>.</p>\n"
    call_command("render_posts", "--missing", stdout=out)
    assert out.getvalue().splitlines()[-1].startswith("render_posts: 0 questions, 0 answers")
