"""askme.settings with tests/boom_urls.py as the URLconf, for a real gunicorn in tests."""

from askme.settings import *  # noqa: F403

ROOT_URLCONF = "tests.boom_urls"
