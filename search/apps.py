from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_index(sender, using: str = "default", **kwargs) -> None:
    from django.db import connections

    from .index import ensure_index

    ensure_index(connections[using])


class SearchConfig(AppConfig):
    name = "search"

    def ready(self) -> None:
        post_migrate.connect(_ensure_index, sender=self, dispatch_uid="search_ensure_index")
