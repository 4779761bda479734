"""Rendered fragments kept in the cache: answers, comment lists and question cards are the same
for every viewer, so each is rendered once and stored under a key that holds everything it
shows that can change. A page joins ready strings; per-viewer state comes on top (data
attributes read by the page's scripts)."""

import functools
import hashlib
import re
import secrets
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.template.loader import get_template, render_to_string
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import timesince

from core.generation import site_generation
from core.localcache import LocalCache

# Partials whose output is cached: their own text is part of every fragment key, so a deploy
# that changes one never serves fragments rendered by the old one.
FRAGMENT_TEMPLATES = (
    "qa/_answer.html",
    "qa/_answer_body.html",
    "qa/_vote.html",
    "qa/_comments.html",
    "qa/_comment.html",
    "qa/_question_card.html",
    "qa/_card_counts.html",
    "qa/_question_body.html",
    "qa/_question_shared.html",
    "qa/_question_page_data.html",
    "qa/_question_list_main.html",
    "qa/_pagination.html",
    "accounts/_user_main.html",
)


# What a post's author line shows that can change, as query fields (rows read for keys) and as
# values of a loaded author: part of the key of every fragment that shows an author.
AUTHOR_FIELDS = (
    "author__username",
    "author__profile__display_name",
    "author__profile__avatar",
    "author__profile__deleted_at",
    "author__profile__reputation",
)


# timesince()'s units as plain formats, not translated: the same numbers give the same text.
_AGE_UNITS = {
    unit: f"%(num)d {unit}" for unit in ("year", "month", "week", "day", "hour", "minute")
}


def age_stamp(value, now) -> str:
    """What "asked … ago" reads for `value` at `now`, for a fragment key: timesince()'s own
    arithmetic (calendar months and years included), without looking its words up in the
    catalog, which was two thirds of its cost (12 → 5 µs; twenty cards a list page). The
    language is in every key already (fragments_version)."""
    return timesince(value, now, time_strings=_AGE_UNITS)


def author_stamp(author) -> tuple:
    profile = author.profile
    return (
        author.username,
        profile.display_name,
        profile.avatar.name,
        profile.deleted_at,
        profile.reputation,
    )


def fragments(keys: dict, render: Callable[[list], dict], ttl: int) -> dict:
    """HTML per item: `keys` maps each item to its cache key; what the cache does not hold is
    rendered by `render(missing items)` (one call) and stored. A cache that fails is a miss."""
    try:
        cached = cache.get_many(list(keys.values()))
    except Exception:  # noqa: BLE001 — a cache that cannot answer is a miss
        cached = {}
    html = {item: cached[key] for item, key in keys.items() if key in cached}
    missing = [item for item in keys if item not in html]
    if missing:
        fresh = render(missing)
        try:
            cache.set_many({keys[item]: fresh[item] for item in missing if item in fresh}, ttl)
        except Exception:  # noqa: BLE001 — rendered anyway; cached next time
            pass
        html.update(fresh)
    return html


def fragments_together(name: str, keys: dict, render: Callable[[list], dict], ttl: int) -> dict:
    """fragments(), with the whole set cached too, under all its keys: a page whose items did
    not change since it was last shown reads one entry, not one per item (a file each with the
    file cache). Items are looked up one by one only when the set changed."""
    if not keys:
        return {}
    together = {name: f"{name}:set:{digest(sorted(keys.values()))}"}

    def render_set(_: list) -> dict:
        return {name: fragments(keys, render, ttl)}

    return fragments(together, render_set, ttl)[name]


def digest(values) -> str:
    return hashlib.blake2b(repr(values).encode(), digest_size=12).hexdigest()


def fragments_version() -> str:
    """Part of every fragment key: the language the fragment is in (a Russian reader must never
    get an English fragment, nor the other way round), the partials' text and that language's
    catalog (a deploy with new translations renders afresh)."""
    return _fragments_version(translation.get_language() or settings.LANGUAGE_CODE)


@functools.cache
def _fragments_version(language: str) -> str:
    sources = [Path(get_template(name).origin.name).read_bytes() for name in FRAGMENT_TEMPLATES]
    for locale_dir in settings.LOCALE_PATHS:
        catalog = Path(locale_dir) / translation.to_locale(language) / "LC_MESSAGES" / "django.po"
        if catalog.exists():
            sources.append(catalog.read_bytes())
    return f"{language}.{digest(sources)[:8]}"


# How long a page's shared parts are kept at most: what the site generation does not see moves
# no later than this ("asked … ago" wording, the cache's own restarts).
SHARED_PARTS_TTL = 15
_SHARED_PATH_MAX = 300  # longer URLs (odd query strings) are rendered, not kept
# This process's copies (the pages read since the last write: a crowded question's parts are
# ~100 KB, so at most ~10 MB a worker).
_KEPT_HERE = LocalCache(max_entries=100)


def shared_parts_key(request: HttpRequest, name: str) -> str | None:
    """The key of this URL's shared parts, read before the page reads the database (a part
    rendered from rows older than a write is then stored under the generation before it, which
    is never read again). None: not kept."""
    path = request.get_full_path()
    generation = site_generation()
    if len(path) > _SHARED_PATH_MAX or generation is None:
        return None
    return f"parts:{_PARTS_FORMAT}:{fragments_version()}:{generation}:{name}:{digest(path)}"


def shared_parts(key: str | None, build: Callable[[], dict]) -> dict:
    """The parts of a page that are the same for every viewer of its URL (HTML and a few
    numbers: `build()` returns them), kept whole until the site changes (core.generation) or
    SHARED_PARTS_TTL. Per-viewer bits (my votes, my links, CSRF tokens, the answer form) are
    never in them: the page's own template puts those around and between the parts. A cache
    that fails is a miss."""
    parts = shared_parts_get(key)
    if parts is not None:
        return parts
    parts = build()
    if key is not None:
        kept_at = time.time()
        _KEPT_HERE.set(key, parts, kept_at + SHARED_PARTS_TTL)
        try:
            cache.set(key, (kept_at, parts), SHARED_PARTS_TTL)
        except Exception:  # noqa: BLE001 — rendered anyway
            pass
    return parts


def shared_parts_get(key: str | None) -> dict | None:
    """The parts kept under `key`, if any (a cache that fails holds none). A process keeps its
    own copy of the parts it read or rendered last: the key holds the site generation, so the
    copy is the shared one as long as the key is asked for, and it lives no longer than it."""
    if key is None:
        return None
    parts = _KEPT_HERE.get(key)
    if parts is not None:
        return parts
    try:
        kept = cache.get(key)
    except Exception:  # noqa: BLE001 — a cache that cannot answer is a miss
        return None
    if not isinstance(kept, tuple):
        return None
    kept_at, parts = kept
    _KEPT_HERE.set(key, parts, kept_at + SHARED_PARTS_TTL)
    return parts


# What shared parts hold, as a number in their keys: a deploy that changes it never reads parts
# kept by the code before (3: HTML as encoded bytes, a tag list's tag id, a member page's title;
# 4: whether a question has an answer with a positive score; 5: a question page's URLs; 6: a
# question page's shared data attributes as one rendered string).
_PARTS_FORMAT = 6

_PART_MARK = f"\x00part-{secrets.token_hex(8)}-"  # no text a template renders holds NUL
_PART_MARKS = re.compile(re.escape(_PART_MARK) + r"(\d+)\x00")


def render_around_parts(
    request: HttpRequest, template_name: str, context: dict, parts: list[bytes], status: int = 200
) -> HttpResponse:
    """The page `template_name` renders, with the shared parts' HTML (`parts`, already encoded)
    where it shows `{{ part.0 }}`, `{{ part.1 }}`…: only the page around them (this viewer's
    bits, the navbar) goes through the template and is encoded. A question page's parts are
    ~100 KB; copied through every level of the template and encoded again they cost ~50 µs."""
    # A dict, not a list: the template finds "0" as a key at once (an index of a list is found
    # after a failed lookup and a dir() of the list, ~8 µs each).
    marks = {str(n): mark_safe(f"{_PART_MARK}{n}\x00") for n in range(len(parts))}  # noqa: S308
    split = _PART_MARKS.split(render_to_string(template_name, {**context, "part": marks}, request))
    out = [split[0].encode()]
    for n in range(1, len(split), 2):  # text, part number, text, …
        out.append(parts[int(split[n])])
        out.append(split[n + 1].encode())
    return HttpResponse(b"".join(out), status=status)


def render_with_slots(template_name: str, context: dict, slots: int) -> list[SafeString]:
    """A shared partial cut where its `{{ slot }}`s are, for the page to put per-viewer bits
    there. The cut mark is random for each rendering, so no text of a post can forge one."""
    mark = secrets.token_hex(16)
    html = render_to_string(template_name, {**context, "slot": mark})
    pieces = html.split(mark)
    if len(pieces) != slots + 1:
        raise ValueError(f"{template_name}: {len(pieces) - 1} slots, {slots} expected")
    return [mark_safe(piece) for piece in pieces]  # noqa: S308 — our partial
