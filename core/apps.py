from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Web helpers every app uses: JSON endpoints, pagination, cached counts, error views."""

    name = "core"

    def ready(self) -> None:
        from .generation import install

        install()
