import time

from django.core.management.base import BaseCommand, CommandError

from community.reputation import reputation_recompute


class Command(BaseCommand):
    help = "Recompute every member's reputation from the votes and accepted answers."
    requires_system_checks: list = []

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--check", action="store_true", help="only report; exit 1 when any differs"
        )

    def handle(self, *args, check: bool, **options) -> None:
        started = time.monotonic()
        members, differed = reputation_recompute(fix=not check)
        ms = (time.monotonic() - started) * 1000
        action = "found" if check else "fixed"
        self.stdout.write(
            f"reputation_recompute: {members} members, {differed} differed ({action}) "
            f"in {ms:.0f} ms"
        )
        if check and differed:
            raise CommandError(f"{differed} reputations differ from the votes")
