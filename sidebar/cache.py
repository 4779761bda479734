"""The sidebar's one cache entry: its key, how long it lives, the one read and the one write.

sidebar/queries.py computes the value; cron's `refresh_sidebar` writes it here; the template
tags only read it. Pages never compute it and never fail because of it.
"""

import contextlib
import fcntl
import logging
import os
import secrets
import socket
import time
from collections.abc import Iterator

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from core.generation import site_changed, site_generation

logger = logging.getLogger(__name__)

KEY = "sidebar:v1"
EMPTY: dict = {"tags": [], "members": [], "since": None, "computed_at": None}


# This process's copy of the value, with the site generation (core.generation) it was read
# under: the value changes only by sidebar_write(), which then moves the generation, so while the
# generation stands the copy is what the cache holds and a page need not read it again (a file
# read or a memcached round trip, and an unpickling: ~30–70 µs a page). Held at most
# _KEPT_SECONDS: a value written by other means (a node still on older code during a deploy)
# shows within that.
_kept: tuple[str, float, dict] | None = None  # (generation, until (monotonic), value)
_KEPT_SECONDS = 60


def sidebar_read() -> dict:
    """What the templates show: the cached value, or an empty sidebar. Never queries the DB."""
    global _kept
    generation = site_generation()
    kept = _kept
    if kept is not None and kept[0] == generation and kept[1] > time.monotonic():
        return kept[2]
    try:
        value = cache.get(KEY)
    except Exception:  # a broken cache backend must not break pages
        logger.warning("sidebar: cache read failed", exc_info=True)
        value = None
    value = value if isinstance(value, dict) else EMPTY
    # None: the cache cannot answer, and no write could move the generation; nothing kept.
    _kept = None if generation is None else (generation, time.monotonic() + _KEPT_SECONDS, value)
    return value


def sidebar_write(value: dict) -> bool:
    """Store the value for SIDEBAR_CACHE_TIMEOUT (far longer than the cron interval, so a slow
    or missed run keeps the last good sidebar); False when the cache did not keep it. A value
    kept moves the site generation: every process reads it on its next page.

    pymemcache ignores errors (pages must not fail when memcached is down), so a failed write
    is silent: it is read back to tell.
    """
    cache.set(KEY, value, timeout=settings.SIDEBAR_CACHE_TIMEOUT)
    stored = cache.get(KEY)
    kept = isinstance(stored, dict) and stored.get("computed_at") == value["computed_at"]
    if kept:
        site_changed()
    return kept


# --- One refresh per interval across every node (issue 15) ---
# Every node's cron line runs refresh_sidebar at the same minute; the first run takes this lock
# and the others skip. It lives in the shared cache beside the value (a cache that lost the
# value lost the lock too) and expires by itself after half the cron interval: long enough to
# cover the other nodes' runs of the same tick even with clocks a few minutes apart, short
# enough that the next tick finds it gone. A failed run gives it back at once.
LOCK_KEY = "sidebar:v1:refresh-lock"


def lock_seconds() -> int:
    return max(1, settings.SIDEBAR_CRON_MINUTES * 60 // 2)


@contextlib.contextmanager
def _atomic_add() -> Iterator[None]:
    """memcached's (and Redis's, the database cache's) add is atomic; Django's file cache checks
    then writes, so two processes could both "add": serialise them with a lock file beside it."""
    directory = getattr(cache, "_dir", None)
    if directory is None:
        yield
        return
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, ".sidebar-refresh.lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def refresh_lock_take() -> tuple[dict | None, dict | None]:
    """(ours, None) when this run may compute; (None, holder) when another run holds the lock.

    A cache that answers nothing (memcached down) does not make the run skip: it computes, and
    the write tells that the cache is down.
    """
    ours = {
        "owner": f"{socket.gethostname()}:{os.getpid()}",
        "at": timezone.now().isoformat(timespec="seconds"),
        "token": secrets.token_hex(8),
    }
    with _atomic_add():
        if cache.add(LOCK_KEY, ours, timeout=lock_seconds()):
            return ours, None
    holder = cache.get(LOCK_KEY)
    if isinstance(holder, dict):
        return None, holder
    return ours, None


def refresh_lock_release(ours: dict) -> None:
    """Give the lock back (after a failed run), only if it is still ours."""
    try:
        if cache.get(LOCK_KEY) == ours:
            cache.delete(LOCK_KEY)
    except Exception:
        logger.warning("sidebar: could not release the refresh lock", exc_info=True)
