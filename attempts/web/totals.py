"""How many rows a list has, without counting a million of them on every page.

SQLite (the embedded demo) and small results are counted exactly. On PostgreSQL, the planner's
estimate of the filtered query (``EXPLAIN``, no rows read) decides: below
``ESTIMATE_ABOVE`` the rows are counted; above it the page says "about" the estimate, which
is what PostgreSQL's statistics (``pg_class.reltuples`` and the column histograms) give.
"""

import json
from dataclasses import dataclass

from django.db import connections

# Above this many rows (by the planner's estimate) a list shows the estimate, labelled.
ESTIMATE_ABOVE = 10_000


@dataclass(frozen=True)
class Total:
    count: int
    exact: bool

    def __str__(self):
        return f"{self.count:,}" if self.exact else f"about {self.count:,}"


def total(queryset, *, estimate_above: int | None = None) -> Total:
    """The rows of ``queryset``: one query (the count, or the plan), two when a plan under the
    threshold is then counted."""
    limit = ESTIMATE_ABOVE if estimate_above is None else estimate_above
    queryset = queryset.order_by()
    if connections[queryset.db].vendor == "postgresql":
        plan = json.loads(queryset.explain(format="json"))
        estimate = int(plan[0]["Plan"]["Plan Rows"])
        if estimate > limit:
            return Total(estimate, exact=False)
    return Total(queryset.count(), exact=True)
