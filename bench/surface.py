"""One measurement of a surface (a page, an API request, an export) beside its own SQL.

``measure`` times the whole request through Django's test client (median of warm runs), counts
the statements it issues, replays those very statements on a raw cursor (the request's database
time), and times the surface's *minimal SQL* when one is given: the smallest SQL that produces
what the surface shows (the indexed page of rows, the stored sums), written by hand. The ratio is
the request's median over the minimal SQL (over its own replayed SQL when no minimal SQL is
given): the price of the framework and of any SQL the surface asks for beyond what it needs.

Every ``bench/*_1m.py`` module that ``make bench`` reads exposes ``surfaces() -> list[dict]``
with the keys of :class:`Measured`.
"""

from collections.abc import Callable
from dataclasses import asdict, dataclass

from django.db import connections
from django.test.utils import CaptureQueriesContext

from bench.timing import timed

REPEAT = 7


@dataclass
class Measured:
    surface: str
    queries: int
    median_ms: float
    db_ms: float  # the request's own statements, replayed
    sql_ms: float | None  # the minimal SQL, when given
    ratio: float
    goal: str
    met: bool | None  # None: no goal stated for this surface

    def row(self) -> dict:
        return asdict(self)


def median_ms(function, repeat: int = REPEAT) -> float:
    """Median milliseconds of ``repeat`` calls after one warm-up call."""
    return timed(function, repeat) * 1000


def replay(statements: list[str], alias: str = "default") -> Callable[[], None]:
    """A function that runs ``statements`` on a raw cursor and fetches every row."""

    def run():
        with connections[alias].cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
                if cursor.description:
                    cursor.fetchall()

    return run


def measure(
    name: str,
    request: Callable[[], object],
    *,
    minimal_sql: list[str] | None = None,
    goal_ms: float | None = None,
    goal_db_ms: float | None = None,
    goal_ratio: float | None = None,
    ratio_of: str = "request",
    repeat: int = REPEAT,
    alias: str = "default",
) -> dict:
    """Time ``request`` (which asserts its own status) beside its SQL; return a row.

    The ratio is the request's median (``ratio_of="request"``) or its database time
    (``ratio_of="db"``, issue 17's list goal) over the minimal SQL. The goal is met when every
    stated bound holds: the median under ``goal_ms``, the database time under
    ``goal_db_ms``, the ratio under ``goal_ratio``."""
    with CaptureQueriesContext(connections[alias]) as captured:
        request()
    statements = [query["sql"] for query in captured.captured_queries if query["sql"]]
    total = median_ms(request, repeat)
    db = median_ms(replay(statements, alias), repeat)
    sql = median_ms(replay(minimal_sql, alias), repeat) if minimal_sql else None
    ratio = (db if ratio_of == "db" else total) / (sql or db or 1e-9)
    bounds, met = [], []
    if goal_ms is not None:
        bounds.append(f"< {goal_ms:g} ms")
        met.append(total < goal_ms)
    if goal_db_ms is not None:
        bounds.append(f"DB < {goal_db_ms:g} ms")
        met.append(db < goal_db_ms)
    if goal_ratio is not None:
        bounds.append(f"{'DB' if ratio_of == 'db' else ''} ≤ {goal_ratio:g}×".lstrip())
        met.append(ratio <= goal_ratio)
    return Measured(
        surface=name,
        queries=len(statements),
        median_ms=round(total, 1),
        db_ms=round(db, 1),
        sql_ms=None if sql is None else round(sql, 1),
        ratio=round(ratio, 2),
        goal=" and ".join(bounds) or "-",
        met=all(met) if met else None,
    ).row()


COLUMNS = ("surface", "queries", "median_ms", "db_ms", "sql_ms", "ratio", "goal", "met")
HEADINGS = ("surface", "queries", "median ms", "DB ms", "min SQL ms", "ratio", "goal", "met")


def table(rows: list[dict]) -> str:
    """The rows as one fixed-width text table."""

    def text(value) -> str:
        if value is None:
            return "-"
        if value is True:
            return "yes"
        if value is False:
            return "NO"
        return f"{value:,}" if isinstance(value, int) else str(value)

    cells = [HEADINGS] + [tuple(text(row.get(column)) for column in COLUMNS) for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(COLUMNS))]
    lines = []
    for index, line in enumerate(cells):
        parts = [line[0].ljust(widths[0])] + [
            cell.rjust(width) for cell, width in zip(line[1:], widths[1:], strict=True)
        ]
        lines.append("  ".join(parts))
        if index == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)
