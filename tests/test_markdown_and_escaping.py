import pytest
from django.contrib.auth import get_user_model

from qa.markdown import render_markdown

from .helpers import client_for, make_answer, make_question

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


def test_long_texts_render_but_stay_out_of_the_cache():
    from qa import markdown

    markdown._render_cached.cache_clear()
    short, long = "short **text**", "long **text** " + "x" * markdown.CACHED_TEXT_CHARS
    assert "<strong>text</strong>" in render_markdown(short)
    assert "<strong>text</strong>" in render_markdown(long)
    assert markdown._render_cached.cache_info().currsize == 1
    assert render_markdown(short) is render_markdown(short)  # served from the cache
