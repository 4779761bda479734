"""render_posts: render the stored HTML of every post again, after a Markdown renderer change."""

import time

from django.core.management.base import BaseCommand

from qa.services import posts_rerender


class Command(BaseCommand):
    help = "Re-render the stored HTML of questions and answers (all, or --missing only)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--missing", action="store_true", help="only posts that have no stored HTML yet"
        )

    def handle(self, *args, missing: bool, **options) -> None:
        started = time.monotonic()
        written = posts_rerender(only_missing=missing)
        seconds = time.monotonic() - started
        self.stdout.write(
            f"render_posts: {written['Question']} questions, {written['Answer']} answers "
            f"re-rendered in {seconds:.1f} s"
        )
