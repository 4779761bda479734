"""Page-number pagination that stays fast on deep pages of big tables.

Two costs grow with the table: COUNT(*) for the pagination bar, and OFFSET on deep pages.
- Counts of big lists come from the cache (`cached_count`, short TTL); creating or deleting a
  question or changing its tags bumps a generation number so every cached count is recomputed
  at once. Small counts (under CACHE_COUNTS_FROM) are cheap and always exact: not cached.
- A page of a QuerySet is read in two steps ("deferred join"): first only the ids of the page
  (`ORDER BY … LIMIT 20 OFFSET n` walks an index that holds the ordering columns and the id, an
  index-only scan: it skips n index entries, never n rows with their joins), then the 20 rows
  with their select_related/prefetch_related.
"""

import time

from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest

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


class DeferredJoinPaginator(Paginator):
    def page(self, number) -> Page:
        number = self.validate_number(number)
        if not isinstance(self.object_list, QuerySet):
            return super().page(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        if top + self.orphans >= self.count:
            top = self.count
        ids = list(self.object_list.values_list("pk", flat=True)[bottom:top])
        rows = {obj.pk: obj for obj in self.object_list.filter(pk__in=ids)} if ids else {}
        return self._get_page([rows[pk] for pk in ids if pk in rows], number, self)


def paginate(
    request: HttpRequest,
    object_list,
    per_page: int,
    count: int | None = None,
    *,
    count_key: str | None = None,
) -> Page:
    """Garbage `?page=` → first page; past the end → last page; never an exception.

    `count`: a known (e.g. denormalised) total; `count_key`: cache the COUNT under this key.
    """
    paginator = DeferredJoinPaginator(object_list, per_page)
    if count is None and count_key is not None:
        count = cached_count(count_key, object_list)
    if count is not None:
        paginator.count = count  # a cached or denormalised count saves a COUNT(*)
    raw = request.GET.get("page", "1")
    try:
        number = int(raw)
    except (TypeError, ValueError):
        number = 1
    number = max(1, min(number, paginator.num_pages))
    return paginator.page(number)
