"""The file cache, made safe for a bad day: a cache that cannot read or write is a miss.

Django's FileBasedCache lets OSError through: on a full disk (ENOSPC), a read-only or missing
directory, or too many open files, every page that touches the cache answers 500, and a write
that fails inside a transaction (the list-count generation bump when a question is posted)
rolls the post back. Here every such error is logged (rate-limited: a full disk fails on every
request) and the operation behaves as if the cache were empty. memcached gets the same
behaviour from pymemcache's ignore_exc (settings.cache_config).
"""

import logging
import time
import zlib

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.filebased import FileBasedCache

from .logs import RateLimitedLogger

logger = logging.getLogger(__name__)
_limited = RateLimitedLogger(logger, interval=60.0)


def _log(operation: str, exc: BaseException) -> None:
    _limited.warning(operation, "file cache %s failed, treated as a miss: %r", operation, exc)


class SafeFileBasedCache(FileBasedCache):
    """FileBasedCache whose failures are misses (get → default, writes → no-op), never errors.

    It also culls at most once every CULL_SECONDS a process. Django's lists the whole directory
    on every set and, past MAX_ENTRIES (300 by default), deletes a random third of it: a site
    whose pages are joined from cached fragments (answers, cards, comment lists) holds more
    than 300 of them, so every page view culled, and the next views rendered again what had
    just been thrown away (bench.pages' question pages re-rendered their cards and answers on
    a quarter of requests). settings.cache_config raises MAX_ENTRIES for the file cache.
    """

    CULL_SECONDS = 10.0
    _culled_at = float("-inf")

    def _cull(self) -> None:
        now = time.monotonic()
        if now - self._culled_at < self.CULL_SECONDS:
            return
        self._culled_at = now
        super()._cull()

    def _createdir(self) -> None:
        # Also called by __init__: a cache directory that cannot be made must not break start-up.
        try:
            super()._createdir()
        except OSError as exc:
            _log("write", exc)

    def get(self, key, default=None, version=None):
        try:
            return super().get(key, default, version)
        except (OSError, EOFError, zlib.error) as exc:
            _log("read", exc)
            return default

    def has_key(self, key, version=None) -> bool:
        try:
            return super().has_key(key, version)
        except (OSError, EOFError) as exc:
            _log("read", exc)
            return False

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None) -> None:
        try:
            super().set(key, value, timeout, version)
        except OSError as exc:
            _log("write", exc)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None) -> bool:
        try:
            if super().has_key(key, version):
                return False
            super().set(key, value, timeout, version)
            return True
        except OSError as exc:
            _log("write", exc)
            return False

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None) -> bool:
        try:
            return super().touch(key, timeout, version)
        except (OSError, EOFError) as exc:
            _log("write", exc)
            return False

    def delete(self, key, version=None) -> bool:
        try:
            return super().delete(key, version)
        except OSError as exc:
            _log("delete", exc)
            return False

    def clear(self) -> None:
        try:
            super().clear()
        except OSError as exc:
            _log("clear", exc)
