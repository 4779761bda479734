"""refresh_sidebar: compute popular tags and best members and cache them (cron, every 5 min)."""

from django.core.cache import cache
from django.core.management.base import BaseCommand, CommandError

from sidebar.queries import CACHE_KEY, sidebar_refresh


class Command(BaseCommand):
    help = "Compute the sidebar (popular tags, best members) and store it in the cache."
    # Run by cron every few minutes: the system checks (seconds, most of the run) belong to
    # deploys and `make up`, not to every refresh.
    requires_system_checks = []

    def handle(self, *args, **options) -> None:
        value, ms = sidebar_refresh()
        # pymemcache ignores errors (pages must not fail when memcached is down), so a failed
        # write is silent: read it back and fail loudly here instead, into the cron log.
        stored = cache.get(CACHE_KEY)
        if not isinstance(stored, dict) or stored.get("computed_at") != value["computed_at"]:
            raise CommandError("refresh_sidebar: the cache did not keep the value (is it up?)")
        self.stdout.write(
            f"refresh_sidebar: {len(value['tags'])} tags, {len(value['members'])} members "
            f"in {ms:.0f} ms"
        )
