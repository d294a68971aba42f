"""Pages of a list that never count more rows than anyone will page through.

Django's `Paginator` asks the database for `COUNT(*)` of the whole list: at a million cases a
national manager's case list spent most of its time counting rows nobody reads. Every list of
the site pages with `paginate` instead: it counts at most `COUNT_CAP + 1` rows (a subquery with
a LIMIT, read along the list's index) and, above the cap, says "more than 10,000" and offers the
pages up to the cap. Under the cap, the count is exact: a caseworker's own lists, which are
small, show their exact number of rows as before.

Why a capped count rather than keyset ("seek") pagination: page numbers stay what people and
bookmarks know, the filters and the page travel in one plain query string that needs no cursor
to validate, and both costs are bounded by the cap (the count reads at most 10,001 index
entries; the deepest page an OFFSET of 10,000 rows). Nobody reads 400 pages of cases: past the
cap, the filters (period, service, status) narrow the list.
"""

from __future__ import annotations

from math import ceil

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property

# Above this many rows, a list says "more than" instead of counting them.
COUNT_CAP = 10_000


class CappedPaginator(Paginator):
    """A `Paginator` whose count stops at `cap + 1` rows (`capped` tells when it did)."""

    def __init__(self, object_list, per_page, *, cap: int | None = None, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.cap = COUNT_CAP if cap is None else cap

    @cached_property
    def count(self) -> int:
        rows = self.object_list
        if isinstance(rows, QuerySet):
            # No ordering and only the key: the database counts what the filters leave along
            # whichever index suits it, and stops at cap + 1.
            return rows.order_by().values("pk")[: self.cap + 1].count()
        return min(len(rows), self.cap + 1)

    @property
    def capped(self) -> bool:
        return self.count > self.cap

    @cached_property
    def num_pages(self) -> int:
        shown = min(self.count, self.cap)
        if shown == 0 and not self.allow_empty_first_page:
            return 0
        return ceil(max(1, shown - self.orphans) / self.per_page)


def paginate(request, rows, per_page: int) -> tuple[Page, str]:
    """The page of `rows` that `request` asks for (`page`: anything but a page number reads
    as the first page, past the last as the last), and the request's other parameters as a
    query string for the links to the other pages."""
    page = CappedPaginator(rows, per_page).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()
