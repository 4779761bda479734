#!/usr/bin/env python3
"""What a pathological Markdown text costs a reader, before and after posts kept their HTML.

    .venv/bin/python -m bench.markdown [--answers 30] [--runs 30]

In a throwaway SQLite database it posts one question with N ordinary answers and one with N
answers that are each a worst-case text, then times GETs of both question pages and of their
catch-up endpoint (median and max over --runs), side by side. "Before" is what the old code
did on each of those views: render every answer's Markdown, timed here with the same renderer
and no bound. The worst-case texts can no longer be posted (the form refuses them); they are
stored the way a text already in the database would be after `render_posts` (plain text).
"""

import argparse
import os
import statistics
import sys
import tempfile
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "askme.settings")
os.environ["LIVE_BACKEND"] = "off"
os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix="askme-bench-md-"))
os.environ.pop("DATABASE_URL", None)

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from qa import markdown  # noqa: E402
from qa.models import Answer, Question  # noqa: E402
from tests.helpers import make_user  # noqa: E402

ORDINARY = "Use `reversed()`, or slice with `[::-1]`: **both** work. See [the docs](https://docs.python.org/3/)."
WORST = {"images": "![" * 10_000, "brackets": "[" * 20_000, "underscores": "_a" * 10_000}


def timed_gets(client: Client, url: str, runs: int) -> list[float]:
    client.get(url)  # warm
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, url
    return times


OLD_CACHED_CHARS = 4000  # the old per-process render cache kept texts up to this length


def render_cost(text: str, count: int) -> float:
    """What the old question page paid per view for `count` answers of `text`, in ms: nothing
    for a short text (its render cache), a full render of each for a long one."""
    if len(text) <= OLD_CACHED_CHARS:
        return 0.0
    started = time.perf_counter()
    markdown._render(text)
    return (time.perf_counter() - started) * 1000 * count


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--answers", type=int, default=30)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    setup_test_environment()
    call_command("migrate", verbosity=0)
    alice, bob = make_user("bench-alice"), make_user("bench-bob")

    pages = {}
    for label, text in [("ordinary", ORDINARY), *WORST.items()]:
        question = Question.objects.create(
            author=alice, title=f"Question with {label} answers", text=ORDINARY * 3
        )
        Answer.objects.bulk_create(
            Answer(
                question=question,
                author=bob,
                text=text,
                text_html=markdown.render_markdown_or_plain(text),
            )
            for _ in range(args.answers)
        )
        Question.objects.filter(pk=question.pk).update(answers_count=args.answers)
        pages[label] = (question, text)

    client = Client()
    print(f"{args.answers} answers a page, {args.runs} GETs each (ms: median / max)")
    print(f"{'answers':12} {'page now':>16} {'catch-up now':>16} {'before: render/view':>20}")
    baseline = None
    for label, (question, text) in pages.items():
        page = timed_gets(client, question.get_absolute_url(), args.runs)
        live = timed_gets(client, f"/question/{question.pk}/live/?after=0", args.runs)
        before = render_cost(text, args.answers)
        median = statistics.median(page)
        baseline = baseline or median
        print(
            f"{label:12} {median:7.1f} / {max(page):6.1f} {statistics.median(live):7.1f} / "
            f"{max(live):6.1f} {before:17.0f}   (page ×{median / baseline:.2f} of ordinary)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
