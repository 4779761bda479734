"""refresh_sidebar: compute popular tags and best members and cache them (cron, every 5 min)."""

from django.core.management.base import BaseCommand, CommandError

from sidebar.queries import sidebar_refresh


class Command(BaseCommand):
    help = "Compute the sidebar (popular tags, best members) and store it in the cache."
    # Run by cron every few minutes: the system checks (seconds, most of the run) belong to
    # deploys and `make up`, not to every refresh.
    requires_system_checks = []

    def handle(self, *args, **options) -> None:
        value, ms, kept = sidebar_refresh()
        if not kept:  # fail loudly, into the cron log
            raise CommandError("refresh_sidebar: the cache did not keep the value (is it up?)")
        self.stdout.write(
            f"refresh_sidebar: {len(value['tags'])} tags, {len(value['members'])} members "
            f"in {ms:.0f} ms"
        )
