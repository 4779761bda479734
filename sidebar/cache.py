"""The sidebar's one cache entry: its key, how long it lives, the one read and the one write.

sidebar/queries.py computes the value; cron's `refresh_sidebar` writes it here; the template
tags only read it. Pages never compute it and never fail because of it.
"""

import logging

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

KEY = "sidebar:v1"
EMPTY: dict = {"tags": [], "members": [], "since": None, "computed_at": None}


def sidebar_read() -> dict:
    """What the templates show: the cached value, or an empty sidebar. Never queries the DB."""
    try:
        value = cache.get(KEY)
    except Exception:  # a broken cache backend must not break pages
        logger.warning("sidebar: cache read failed", exc_info=True)
        value = None
    return value if isinstance(value, dict) else EMPTY


def sidebar_write(value: dict) -> bool:
    """Store the value for SIDEBAR_CACHE_TIMEOUT (far longer than the cron interval, so a slow
    or missed run keeps the last good sidebar); False when the cache did not keep it.

    pymemcache ignores errors (pages must not fail when memcached is down), so a failed write
    is silent: it is read back to tell.
    """
    cache.set(KEY, value, timeout=settings.SIDEBAR_CACHE_TIMEOUT)
    stored = cache.get(KEY)
    return isinstance(stored, dict) and stored.get("computed_at") == value["computed_at"]
