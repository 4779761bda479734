"""Cached COUNT(*)s of big lists, all invalidated at once by bumping a generation number.

Creating or deleting a question or changing its tags calls `counts_invalidate()`; every count
cached under the previous generation is then never read again (and expires). Small counts
(under CACHE_COUNTS_FROM) are cheaper than a cache round trip: never cached.
"""

import time

from django.core.cache import cache

COUNT_TTL = 60  # seconds; also the worst staleness if an invalidation is missed
CACHE_COUNTS_FROM = 1000  # rows: below this, COUNT(*) costs less than a cache round trip
GENERATION_KEY = "qa:counts:generation"


def counts_invalidate() -> None:
    """Every cached list count is stale now (a question was created, deleted or re-tagged)."""
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # missing (never set, evicted or cache down): start a new generation
        cache.set(GENERATION_KEY, time.time_ns(), None)


def cached_count(key: str, queryset) -> int:
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        generation = time.time_ns()
        cache.set(GENERATION_KEY, generation, None)
    full_key = f"qa:count:{generation}:{key}"
    count = cache.get(full_key)
    if count is None:
        count = queryset.count()
        if count >= CACHE_COUNTS_FROM:
            cache.set(full_key, count, COUNT_TTL)
    return count
