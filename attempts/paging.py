"""How every list of attempts, answers and events is counted and paged, at a million rows.

**Counts.** SQLite (the embedded demo, small data) counts exactly. On PostgreSQL a list is
counted up to ``ESTIMATE_ABOVE`` rows in one query (``COUNT(*)`` of a subquery that stops
after ``ESTIMATE_ABOVE + 1`` rows: an index-only scan of a few thousand entries at most), so
a list filtered by exam or learner, or any small one, gets its exact number. A list longer
than that gets the planner's estimate of the filtered query (``EXPLAIN``, no rows read:
``pg_class.reltuples`` scaled by the column statistics), never below the number already
seen. People read it as "about 1,001,000" (``Total.__str__``); an API's number stays a
number, and its schema says when it may be estimated.

**Pages.** ``ListPaginator`` is Django's ``Paginator`` with that count (for DRF's page-number
paginators and the admin's ``paginator``) and two changes to how a page is read:

- It reads one row past the page, so "is there a next page" never trusts an estimate, and a
  page past the end is an ``EmptyPage`` (a 404) because it is empty, not because an
  estimate says so.
- Past ``DEFERRED_JOIN_FROM`` rows it reads the page's ids first (``values_list("pk")``:
  an index-only scan when an index serves the order), then the rows with their joins by id,
  in that order (a deferred join): an ``OFFSET`` of 400,000 then skips index entries, not
  joined rows.
"""

import json
from dataclasses import dataclass

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import cached_property

# Lists up to this many rows are counted exactly; longer ones on PostgreSQL are estimated.
# The capped count reads up to this many rows (plus one): on a join, one index lookup each,
# and cold ones cost ~0.1 ms apiece (the evaluation queue's count of 10,001 pending essays
# joined to their attempts took 0.6 s cold at 645k attempts, 1,001 took 0.1 s).
ESTIMATE_ABOVE = 1_000
# Pages that start this many rows in or further read their ids before their rows.
DEFERRED_JOIN_FROM = 1_000


@dataclass(frozen=True)
class Total:
    count: int
    exact: bool

    def __str__(self):
        return f"{self.count:,}" if self.exact else f"about {self.count:,}"


def total(queryset, *, estimate_above: int | None = None) -> Total:
    """The rows of ``queryset``: one query when they are at most ``estimate_above`` (or on
    SQLite), two (the capped count, then the plan) when there are more."""
    limit = ESTIMATE_ABOVE if estimate_above is None else estimate_above
    # The rows only: no order, no joins for display, no annotation the filters do not need
    # (a correlated subquery per row would be run for every row counted).
    queryset = queryset.order_by().select_related(None).values("pk")
    if connections[queryset.db].vendor != "postgresql":
        return Total(queryset.count(), exact=True)
    # COUNT(*) FROM (SELECT ... LIMIT limit + 1): stops reading after limit + 1 rows.
    seen = queryset[: limit + 1].count()
    if seen <= limit:
        return Total(seen, exact=True)
    plan = json.loads(queryset.explain(format="json"))
    return Total(max(int(plan[0]["Plan"]["Plan Rows"]), seen), exact=False)


class ListPage(Page):
    """A page that knows whether another follows from the row read past it."""

    def __init__(self, object_list, number, paginator, *, more: bool):
        super().__init__(object_list, number, paginator)
        self.more = more

    def has_next(self):
        return self.more

    def end_index(self):
        return self.start_index() + len(self.object_list) - 1 if self.object_list else 0


class ListPaginator(Paginator):
    """Django's paginator with ``total`` (exact or estimated) as its count, pages that read
    one row past their end, and deferred joins for deep pages (the module's docstring)."""

    @cached_property
    def total(self) -> Total:
        if isinstance(self.object_list, QuerySet):
            return total(self.object_list)
        return Total(len(self.object_list), exact=True)

    @cached_property
    def count(self) -> int:
        return self.total.count

    def validate_number(self, number):
        """A whole number from 1; the end of the list is found by reading the page."""
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from None
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        return number

    def page(self, number):
        number = self.validate_number(number)
        offset = (number - 1) * self.per_page
        rows = self.window(offset, self.per_page + 1)
        more = len(rows) > self.per_page
        rows = rows[: self.per_page]
        if not rows and number > 1:
            raise EmptyPage(self.error_messages["no_results"])
        return ListPage(rows, number, self, more=more)

    def get_page(self, number):
        """Django's lenient page: a bad number is page 1, one past the end the last page."""
        try:
            number = self.validate_number(number)
        except PageNotAnInteger:
            number = 1
        except EmptyPage:
            number = 1
        try:
            return self.page(number)
        except EmptyPage:
            return self.page(max(1, self.num_pages if self.total.exact else 1))

    def window(self, offset: int, size: int) -> list:
        """``size`` rows from ``offset`` in the list's order."""
        rows = self.object_list
        if not isinstance(rows, QuerySet) or offset < DEFERRED_JOIN_FROM:
            return list(rows[offset : offset + size])
        # The deferred join: the ids of the page (no joins, no wide columns), then its rows.
        ids = list(rows.values_list("pk", flat=True)[offset : offset + size])
        by_id = rows.order_by().in_bulk(ids)
        return [by_id[pk] for pk in ids]
