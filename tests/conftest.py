"""A recurring cast: alice asks, bob answers and votes, carol reads (factories: helpers.py)."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command

from .helpers import make_user


def pytest_sessionstart(session):
    """The .mo catalogs are built, never committed: compile them when a .po is newer (a fresh
    clone has none), so the Russian pages are tested with the catalog in git."""
    for locale_dir in map(Path, settings.LOCALE_PATHS):
        for po in locale_dir.glob("*/LC_MESSAGES/*.po"):
            mo = po.with_suffix(".mo")
            if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
                call_command(
                    "compilemessages",
                    locale=[po.parent.parent.name],
                    ignore_patterns=[".venv", "node_modules", "var"],
                    verbosity=0,
                )


@pytest.fixture(autouse=True)
def _fast_and_clean(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "uploads"
    # Background jobs run in the request here; tests/test_tasks.py runs a real db_worker.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def alice(db):
    return make_user("alice")


@pytest.fixture
def bob(db):
    return make_user("bob")


@pytest.fixture
def carol(db):
    return make_user("carol")
