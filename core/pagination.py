"""Page-number pagination that stays fast on deep pages of big tables.

Two costs grow with the table: COUNT(*) for the pagination bar, and OFFSET on deep pages.
- Counts of big lists come from the cache (core.counts, short TTL, generation-keyed).
- A page of a QuerySet is read in two steps ("deferred join"): first only the ids of the page
  (`ORDER BY … LIMIT 20 OFFSET n` walks an index that holds the ordering columns and the id, an
  index-only scan: it skips n index entries, never n rows with their joins), then the 20 rows
  with their select_related/prefetch_related.
- A page in the back half of a one-table list takes its ids walking from the end: the reversed
  ordering (every list's ordering ends in the id, so the reverse is exact) with OFFSET
  count − top, then turned around. Page 4,000 of 5,000 skips 20,000 index entries, not 80,000;
  the middle pages stay the deepest (a keyset would be needed for those, and page numbers would
  have to go). Not for a list that joins (a tag's): PostgreSQL sorts the join either way, and
  planned the reversed one worse (a parallel nested loop, 11 → 23 ms for page 405 of a tag).
- A list that joins can name a one-table QuerySet of its ids in its order (`ids`): deep pages
  take their ids from it, from either end (a tag's list: its own rows, qa.QuestionTag).
- A page near the top (the one most readers see) reads its rows in one query when the caller
  can (`window(bottom, top)`): there the index walk is short and the second round trip, with
  the ORM building a second query, cost more than the join it saves.
"""

from collections.abc import Callable

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest

from .counts import cached_count

# Pages whose first row is at most this deep read their rows in one query (with `window`).
SHALLOW_ROWS = 200


class DeferredJoinPaginator(Paginator):
    def __init__(
        self,
        *args,
        rows: Callable[[list], dict] | None = None,
        window: Callable[[int, int], dict] | None = None,
        ids: QuerySet | None = None,
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.rows = rows
        self.window = window
        self.ids = ids

    def page(self, number) -> Page:
        number = self.validate_number(number)
        if not isinstance(self.object_list, QuerySet):
            if self.rows is None:
                return super().page(number)
            ids = list(super().page(number).object_list)  # a list of ids: its slice
        else:
            bottom = (number - 1) * self.per_page
            top = min(bottom + self.per_page, self.count)
            if top + self.orphans >= self.count:
                top = self.count
            if self.window is not None and bottom < SHALLOW_ROWS:
                return self._get_page(list(self.window(bottom, top).values()), number, self)
            source = self.ids
            if source is None:
                source = self.object_list.values_list("pk", flat=True)
            from_end = self.count - top
            if from_end < bottom and _one_table(source):  # walk it from the end
                ids = list(source.reverse()[from_end : from_end + top - bottom])[::-1]
            else:
                ids = list(source[bottom:top])
        if not ids:
            rows = {}
        elif self.rows:
            rows = self.rows(ids)
        else:
            rows = {obj.pk: obj for obj in self.object_list.filter(pk__in=ids)}
        return self._get_page([rows[pk] for pk in ids if pk in rows], number, self)


def paginate(
    request: HttpRequest,
    object_list,
    per_page: int,
    count: int | None = None,
    *,
    count_key: str | None = None,
    rows: Callable[[list], dict] | None = None,
    window: Callable[[int, int], dict] | None = None,
    ids: QuerySet | None = None,
) -> Page:
    """Garbage `?page=` → first page; past the end → last page; never an exception.

    `count`: a known (e.g. denormalised) total; `count_key`: cache the COUNT under this key;
    `rows(ids)`: what the page holds for its ids, by id (default: the QuerySet's rows; for a
    list of ids, the ids themselves). Ids `rows` leaves out drop out of the page.
    `window(bottom, top)`: the rows of a page near the top in one query, in order, by id.
    `ids`: the list's ids in its order (a flat values_list), when one table gives them.
    """
    paginator = DeferredJoinPaginator(object_list, per_page, rows=rows, window=window, ids=ids)
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


def _one_table(queryset: QuerySet) -> bool:
    """Whether the query reads one table (filters, ordering and selection): its ordering is
    then one index walked either way."""
    return sum(1 for refs in queryset.query.alias_refcount.values() if refs) == 1
