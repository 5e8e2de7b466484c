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

**Deep pages by keyset.** Even index-only, an ``OFFSET`` walks every entry it skips (a
B-tree keeps no counts: the ids of Testpress's ``page=2000``, 400,000 entries in, took 197 ms
of database time at 1M attempts under load, against 20 ms by keyset). A page that knows the
row before it (the last row of the page the caller came from: ``ListPaginator.key_of``)
reads from there instead:
``page(number, after=key)`` filters ``(a, b, id) > (x, y, z)`` in the list's order, which
the database answers by seeking its index to that row, so page 2,000 costs what page 1 does.
Only for orders whose columns are concrete, non-null fields of the model, in one direction,
ending with the primary key (``keyset_order``); any other order, or no key, is read by offset.
On unchanged data both give the same rows; while rows are added, a keyset page continues
after the row the caller saw (no row repeated or skipped), an offset page shifts.
"""

import json
from dataclasses import dataclass

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db import connections
from django.db.models import BooleanField, Expression, F, QuerySet, Value
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

    def page(self, number, *, after: list[str] | None = None):
        """Page ``number``; read after the row whose key is ``after`` (``key_of`` of the last
        row of page ``number - 1``) when given and the order allows it, else by offset."""
        number = self.validate_number(number)
        offset = (number - 1) * self.per_page
        seek = self.seek(after) if after is not None else None
        if seek is not None:
            rows = list(self.object_list.filter(seek)[: self.per_page + 1])
        else:
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

    @cached_property
    def order(self) -> tuple[tuple[object, bool], ...] | None:
        """``keyset_order`` of the list (None for a list that is no queryset)."""
        if not isinstance(self.object_list, QuerySet):
            return None
        return keyset_order(self.object_list)

    def key_of(self, row) -> list[str] | None:
        """The values of ``row`` in the list's order, as strings: what ``page(after=...)``
        reads after. None when the order is not one a keyset can follow."""
        if self.order is None:
            return None
        return [field.value_to_string(row) for field, _ in self.order]

    def seek(self, key: list[str]) -> "RowAfter | None":
        """The filter "after the row whose key is ``key``"; None when the order has no keyset
        or ``key`` does not fit it (the caller then reads by offset)."""
        if self.order is None or len(key) != len(self.order):
            return None
        try:
            values = [
                field.to_python(value) for (field, _), value in zip(self.order, key, strict=True)
            ]
        except (ValidationError, TypeError):
            return None
        if any(value is None for value in values):
            return None
        return RowAfter(self.order, values)


def keyset_order(queryset) -> tuple[tuple[object, bool], ...] | None:
    """``((field, descending), ...)``: the order of ``queryset`` when a row's values in it can
    continue the list: plain, non-null concrete fields of the model, all in one direction
    (so that one row comparison, and one index read one way, serves it), the last the
    primary key (so that no two rows tie). None otherwise."""
    query = queryset.query
    if query.extra_order_by or query.distinct_fields or query.combinator:
        return None
    names = query.order_by or (queryset.model._meta.ordering if query.default_ordering else ())
    meta = queryset.model._meta
    order = []
    for name in names:
        if not isinstance(name, str) or name == "?":
            return None
        descending = name.startswith("-")
        name = name.removeprefix("-")
        try:
            field = meta.pk if name == "pk" else meta.get_field(name)
        except FieldDoesNotExist:
            return None  # an annotation or a lookup through a relation
        if not getattr(field, "concrete", False) or field.null or field.is_relation:
            return None
        order.append((field, descending))
    if not order or order[-1][0] != meta.pk or len({d for _, d in order}) != 1:
        return None
    return tuple(order)


class RowAfter(Expression):
    """``(a, b, id) > (x, y, z)`` (``<`` in a descending order): the rows after one row in a
    list's order. A row comparison, not its expansion into ORs, so that PostgreSQL seeks the
    index of ``(a, b, id)`` to the row and reads on (SQLite compares row values too)."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, order, values):
        super().__init__()
        self.descending = order[0][1]
        self.columns = [F(field.attname) for field, _ in order]
        self.values = [
            Value(value, output_field=field)
            for (field, _), value in zip(order, values, strict=True)
        ]

    def get_source_expressions(self):
        return [*self.columns, *self.values]

    def set_source_expressions(self, expressions):
        self.columns = expressions[: len(self.columns)]
        self.values = expressions[len(self.columns) :]

    def as_sql(self, compiler, connection):
        columns = [compiler.compile(column) for column in self.columns]
        values = [compiler.compile(value) for value in self.values]
        operator = "<" if self.descending else ">"
        sql = "({}) {} ({})".format(
            ", ".join(sql for sql, _ in columns), operator, ", ".join(sql for sql, _ in values)
        )
        return sql, [param for _, params in (*columns, *values) for param in params]
