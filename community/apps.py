from django.apps import AppConfig


class CommunityConfig(AppConfig):
    """Browse pages (unanswered, tags, users) and moderation (the admin, bans)."""

    name = "community"
