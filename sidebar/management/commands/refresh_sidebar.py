"""refresh_sidebar: compute popular tags and best members and cache them (cron, every 5 min).

Every node of a cluster runs the same cron line; one run per interval computes, the others
print that they skipped (see sidebar/cache.py, the refresh lock).
"""

from django.core.management.base import BaseCommand, CommandError

from sidebar.cache import lock_seconds
from sidebar.queries import sidebar_refresh


class Command(BaseCommand):
    help = "Compute the sidebar (popular tags, best members) and store it in the cache."
    # Run by cron every few minutes: the system checks (seconds, most of the run) belong to
    # deploys and `make up`, not to every refresh.
    requires_system_checks = []

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="compute even when another run took the cluster-wide lock this interval",
        )

    def handle(self, *args, **options) -> None:
        result = sidebar_refresh(force=options["force"])
        if result.value is None:
            holder = result.holder or {}
            self.stdout.write(
                f"refresh_sidebar: skipped, computed by {holder.get('owner', '?')} at "
                f"{holder.get('at', '?')} (one run per {lock_seconds()} s across nodes)"
            )
            return
        if not result.kept:  # fail loudly, into the cron log
            raise CommandError("refresh_sidebar: the cache did not keep the value (is it up?)")
        self.stdout.write(
            f"refresh_sidebar: {len(result.value['tags'])} tags, "
            f"{len(result.value['members'])} members in {result.ms:.0f} ms"
        )
