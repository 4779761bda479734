"""{% url %} with each reversed URL kept for the process (core/templatetags/kept_urls.py): the
same URLs as Django's own tag, reversed once, and never one kept under other circumstances
(another URL conf, script prefix or language)."""

import pytest
from django.template import engines
from django.test import override_settings
from django.urls import NoReverseMatch, set_script_prefix
from django.urls import reverse as django_reverse

from core.templatetags import kept_urls
from core.templatetags.kept_urls import KeptURLNode


def _render(source: str, **context) -> str:
    return engines["django"].from_string(source).render(context)


@pytest.fixture
def reversals(monkeypatch) -> list[tuple]:
    """Every reverse() the tag makes from now on, with a fresh memo."""
    calls: list[tuple] = []

    def reverse(*args, **kwargs):
        calls.append((args, kwargs))
        return django_reverse(*args, **kwargs)

    monkeypatch.setattr(kept_urls, "reverse", reverse)
    monkeypatch.setattr(kept_urls, "_kept", {})
    return calls


def test_the_same_urls_as_django_reversed_once(reversals):
    template = engines["django"].from_string(
        "{% url 'user' name %}|{% url 'question' question_id=7 %}|{% url 'tags' %}"
    )
    assert isinstance(template.template.nodelist[0], KeptURLNode)
    for _ in range(3):
        assert template.render({"name": "alice"}) == "/user/alice/|/question/7/|/tags/"
    assert len(reversals) == 3
    assert _render("{% url 'user' name %}", name="bob") == "/user/bob/"  # another argument
    assert len(reversals) == 4


def test_escaping_as_variables_and_failures_as_django(reversals):
    assert _render("{% url 'user' name %}", name="a&b") == "/user/a&amp;b/"
    assert _render("{% autoescape off %}{% url 'user' name %}{% endautoescape %}", name="a&b") == (
        "/user/a&b/"
    )
    assert _render("{% url 'user' name as link %}[{{ link }}]", name="carol") == "[/user/carol/]"
    assert _render("{% url 'no-such-page' as link %}[{{ link }}]") == "[]"
    with pytest.raises(NoReverseMatch):
        _render("{% url 'no-such-page' %}")
    with pytest.raises(NoReverseMatch):  # a failure is not kept: it fails again
        _render("{% url 'no-such-page' %}")


def test_a_url_is_kept_only_for_the_url_conf_prefix_and_arguments_it_was_made_for(reversals):
    assert _render("{% url 'user' 'alice' %}") == "/user/alice/"
    set_script_prefix("/askme/")
    try:
        assert _render("{% url 'user' 'alice' %}") == "/askme/user/alice/"
    finally:
        set_script_prefix("/")
    with override_settings(ROOT_URLCONF="tests.kept_urls_conf"):
        assert _render("{% url 'user' 'alice' %}") == "/people/alice/"
    assert _render("{% url 'user' 'alice' %}") == "/user/alice/"
    # True is an integer equal to 1 whose URL is not 1's: reversed each time, never kept.
    assert _render("{% url 'user' 1 %}") == "/user/1/"
    assert _render("{% url 'user' flag %}", flag=True) == "/user/True/"
