"""Question cards for the lists and the user page, joined from cached fragments.

A list page reads its 20 ids (core.pagination), then one narrow row per card with what the card
shows that can change — numbers, last edit (title, text and tags), its author's name, avatar and
reputation, and "asked … ago" as it reads now — and takes each card's HTML from the cache under
those values. Models and templates only for cards not cached yet. The partial is the one the live
push sends (live.messages.question_card_html), so a pushed card and a listed one are the same.
"""

from collections.abc import Callable
from typing import NamedTuple

from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from core.sql import Prepared

from .fragments import AUTHOR_FIELDS, age_stamp, digest, fragments_together, fragments_version
from .models import Question

CARD_FRAGMENT_TTL = 3600

# What a card shows that can change; a new value is a new key. `edited_at` covers the title,
# the text (the excerpt) and the tags, which only an edit changes.
_KEY_FIELDS = (
    "pk",
    "title",
    "created_at",
    "rating",
    "answers_count",
    "edited_at",
    *AUTHOR_FIELDS,
)


class Card(NamedTuple):
    pk: int
    title: str
    html: SafeString


def question_cards(queryset: QuerySet, ids: list[int]) -> dict[int, Card]:
    """The cards of those of `ids` that `queryset` still holds (a question deleted or answered
    since the ids were read drops out), by id."""
    rows = queryset.filter(pk__in=ids).select_related(None).prefetch_related(None)
    return _cards(list(rows.order_by().values_list(*_KEY_FIELDS)))


def card_window(build: Callable[..., QuerySet]) -> Prepared:
    """The card rows of a list near its top (core.pagination's window) in one query, compiled
    once per process: `build(*params)` makes the list's QuerySet."""

    def rows(*args) -> QuerySet:
        *params, bottom, top = args
        queryset = build(*params).select_related(None).prefetch_related(None)
        return queryset.values_list(*_KEY_FIELDS)[bottom:top]

    return Prepared(rows)


def question_cards_window(
    window: Prepared, params: tuple, bottom: int, top: int
) -> dict[int, Card]:
    """The cards of rows bottom…top of a list, in its order (`window`: card_window())."""
    return _cards(window.rows(*params, shape=(bottom, top)))


def _cards(rows: list[tuple]) -> dict[int, Card]:
    version, now = fragments_version(), timezone.now()
    keys = {
        row[0]: f"card:{version}:{row[0]}:{digest((row[1:], age_stamp(row[2], now)))}"
        for row in rows
    }

    def render(missing: list[int]) -> dict[int, str]:
        questions = Question.all_objects.with_cards().filter(pk__in=missing)
        return {q.pk: render_to_string("qa/_question_card.html", {"q": q}) for q in questions}

    # A list page that did not change since it was last shown reads one entry, not twenty.
    html = fragments_together("cards", keys, render, CARD_FRAGMENT_TTL)
    return {
        pk: Card(pk, title, mark_safe(html[pk]))  # noqa: S308 — our partial
        for pk, title, *_ in rows
        if pk in html
    }
