"""The attempt export's CSV written by PostgreSQL itself: ``COPY (SELECT ...) TO STDOUT WITH
(FORMAT csv)`` streamed by psycopg, one line per attempt, the same bytes as the Python path
(``attempts.web.exports.attempt_rows(as_csv=True)`` joined by ``csv_text_lines``).

Why: at 400k rows the Python path spends more time turning tuples into text than the
database spends reading them; here the server formats every cell in C while it reads, and
Python only passes the lines on (flat memory: one block of about 64 KB at a time).

Every cell says what the Python path says, and the rules are taken from the same places, not
restated as constants: the State and Result words come from the tables that ``attempt_rows``
builds out of the model (``state_label``, ``result_label``), who has a rank from
``ranking.in_population`` and what rank from the exam's ``RankTable`` (its steps passed as
two arrays, looked up with ``width_bucket``, the SQL ``bisect_right``). What SQL restates
(``Attempt.overdue``, ``Attempt.time_between``, ``User.name_from``, ``format_hms``,
``escape_formula``, the csv module's quoting and its empty fields) is proved byte for byte
against the Python path on PostgreSQL by ``TestCsvWrittenByTheDatabase`` in
``tests/attempts/web/test_attempt_export.py``.

CSV quoting is COPY's: it quotes a field holding the delimiter, a quote, CR or LF, as the csv
module does; it also quotes an empty string (to tell it from NULL), so every text cell that
may be empty is made NULL when it is. COPY ends lines with LF: each line (one CopyData
message per row) gets the csv module's CRLF in its place."""

import tempfile
from collections.abc import Iterator, Sequence
from contextlib import nullcontext
from datetime import datetime, tzinfo
from functools import cache

from django.db import connections
from psycopg.sql import Literal

from attempts.models import DEADLINE_GRACE, Attempt, UserAnswer
from attempts.statistics.ranking import RankTable, in_population

# The exported columns of the inner SELECT (``ATTEMPT_FIELDS``), renamed in its order.
INNER_COLUMNS = (
    "pk",
    "number",
    "display_name",
    "first_name",
    "last_name",
    "username",
    "email",
    "state",
    "started_at",
    "completed_at",
    "deadline_at",
    "correct",
    "incorrect",
    "partial",
    "unanswered",
    "pending",
    "score",
    "max_score",
    "percentage",
    "passed",
    "counts_for_rank",
)


@cache
def python_whitespace() -> str:
    """What ``str.strip()`` strips (``User.name_from``): Python's whitespace, not only
    spaces (found once, on first use: a pass over every code point)."""
    return "".join(chr(c) for c in range(0x110000) if chr(c).isspace())


@cache
def other_digits() -> str:
    """Digits ``Decimal`` reads besides 0-9 (any Unicode decimal digit): made "0" before
    the number test (found once, on first use)."""
    return "".join(chr(c) for c in range(128, 0x110000) if chr(c).isdecimal())


# ``escape_formula``: text starting with one of FORMULA_PREFIXES, unless ``_is_number``.
FORMULA_START = "^[-=+@\t\r]"
# ``Decimal``'s grammar (case-insensitive), once underscores are dropped (it drops them
# wherever they are) and other digits made 0: a number, an infinity or a NaN.
DECIMAL_TEXT = r"^[+-]?(([0-9]+(\.[0-9]*)?|\.[0-9]+)(e[+-]?[0-9]+)?|inf(inity)?|s?nan[0-9]*)$"
# ``_is_number``'s exceptions, compared with the text lowered.
NOT_NUMBERS = ("nan", "inf", "-inf", "infinity")
TIME_FORMAT = "YYYY-MM-DD HH24:MI:SS"  # ``isoformat(" ", "seconds")``: seconds cut, not rounded


def _literal(value) -> str:
    """``value`` as an SQL literal (psycopg's quoting), its ``%`` doubled: the statement
    goes with the inner query's ``%s`` parameters."""
    return Literal(value).as_string().replace("%", "%%")


def _text(value: str) -> str:
    """``csv_field`` of the text column ``value`` (escaped against formulas; COPY quotes
    it), NULL when empty (COPY would write an empty string as ""). The prefix is tested
    first: the number test runs only for the few values that start like a formula."""
    not_numbers = ", ".join(_literal(word) for word in NOT_NUMBERS)
    number = (
        f"lower({value}) NOT IN ({not_numbers}) AND translate(replace({value}, '_', ''), "
        f"{_literal(other_digits())}, {_literal('0' * len(other_digits()))}) "
        f"~* {_literal(DECIMAL_TEXT)}"
    )
    escaped = f"CASE WHEN {number} THEN {value} ELSE '''' || {value} END"
    return (
        f"CASE WHEN {value} ~ {_literal(FORMULA_START)} THEN {escaped} ELSE NULLIF({value}, '') END"
    )


def _label(text: str) -> str:
    # The words are csv_field text already in the Python path: COPY quotes them the same.
    return _literal(text) if text else "NULL"


def _local(column: str, zone: str) -> str:
    return f"to_char(t.{column} AT TIME ZONE {_literal(zone)}, {_literal(TIME_FORMAT)})"


def _by_state(choose) -> str:
    """A CASE over ``t.state``: ``choose(state)`` is the SQL for that state."""
    cases = " ".join(f"WHEN {int(state)} THEN {choose(state)}" for state in Attempt.State)
    return f"CASE t.state {cases} END"


def copy_statement(
    queryset,
    *,
    now: datetime,
    ranks: RankTable,
    zone: tzinfo,
    state_labels: dict,
    result_labels: dict,
    questions: Sequence[int] = (),
) -> tuple[str, list]:
    """The COPY of ``queryset``'s rows (its filters, access and order) as the export's CSV
    lines, header apart, and its parameters (the inner query's); ``state_labels`` and
    ``result_labels`` are ``attempt_rows``' own tables, ``questions`` the exam question ids
    of the marks columns."""
    from attempts.web.exports import ATTEMPT_FIELDS

    inner = queryset.values_list(*ATTEMPT_FIELDS).query
    inner_sql, inner_params = inner.get_compiler(using=queryset.db).as_sql()
    State = Attempt.State
    finished = ", ".join(str(int(state)) for state in Attempt.FINISHED_STATES)
    moment = _literal(now)
    # Attempt.overdue: running, with a deadline, and ``now`` past it.
    late = f"(t.state = {int(State.RUNNING)} AND t.deadline_at < {moment})"
    state = _by_state(
        lambda s: (
            f"CASE WHEN {late} THEN {_label(state_labels[s, True])} "
            f"ELSE {_label(state_labels[s, False])} END"
        )
    )
    result = _by_state(
        lambda s: (
            f"CASE WHEN t.passed IS NULL THEN {_label(result_labels[s, None])} "
            f"WHEN t.passed THEN {_label(result_labels[s, True])} "
            f"ELSE {_label(result_labels[s, False])} END"
        )
    )
    ranked = " OR ".join(
        f"(t.state = {int(s)} AND t.counts_for_rank = {_literal(flag)})"
        for s in State
        for flag in (False, True)
        if in_population(Attempt(state=s, counts_for_rank=flag))
    )
    scores, steps = ranks.steps()
    rank = (
        f"({_literal(steps)}::integer[])[width_bucket(t.score, {_literal(scores)}) + 1]"
        if scores
        else str(steps[0])
    )
    zone_name = str(zone)
    not_started = int(State.NOT_STARTED)
    # User.name_from: the display name, else "first last" stripped, else the username.
    name = (
        "COALESCE(NULLIF(t.display_name, ''), NULLIF(btrim(t.first_name || ' ' || "
        f"t.last_name, {_literal(python_whitespace())}), ''), t.username)"
    )
    columns = [
        "t.pk",
        "t.number",
        _text("n.name"),
        _text("t.username"),
        _text("t.email"),
        state,
        f"CASE WHEN t.state <> {not_started} THEN {_local('started_at', zone_name)} END",
        _local("completed_at", zone_name),
        # format_hms of Attempt.time_between, in whole seconds (n.seconds below).
        f"CASE WHEN t.state <> {not_started} THEN (n.seconds / 3600)::text || ':' || "
        "lpad((n.seconds %% 3600 / 60)::text, 2, '0') || ':' || "
        "lpad((n.seconds %% 60)::text, 2, '0') END",
        "t.correct",
        "t.incorrect",
        "t.partial",
        "t.unanswered",
        "t.pending",
        f"CASE WHEN t.state IN ({finished}) THEN t.score END",
        "t.max_score",
        f"CASE WHEN t.state IN ({finished}) THEN t.percentage END",
        result,
        f"CASE WHEN {ranked} THEN {rank} END" if ranked else "NULL",
    ]
    answers = UserAnswer._meta.db_table
    columns += [
        f"(SELECT a.marks_awarded FROM {answers} AS a WHERE a.attempt_id = t.pk "
        f"AND a.exam_question_id = {int(eq_id)})"
        for eq_id in questions
    ]
    # Attempt.time_between: until completed (else now), never past the deadline and its
    # grace, never negative; LEAST skips a NULL deadline.
    seconds = (
        f"greatest(floor(extract(epoch FROM LEAST(COALESCE(t.completed_at, {moment}), "
        f"t.deadline_at + {_literal(DEADLINE_GRACE)})) - extract(epoch FROM t.started_at)), "
        "0)::bigint"
    )
    select = (
        f"SELECT {', '.join(columns)} FROM ({inner_sql}) AS t({', '.join(INNER_COLUMNS)}) "
        f"CROSS JOIN LATERAL (SELECT {name}, {seconds}) AS n(name, seconds)"
    )
    return f"COPY ({select}) TO STDOUT WITH (FORMAT csv)", list(inner_params)


def copy_lines(statement: str, params: list, *, alias: str) -> Iterator[bytes]:
    """The COPY's lines, each ending with CRLF, on Django's connection ``alias``, logged as
    one query like any other. The COPY holds the connection until its last line: nothing
    else may use it meanwhile (an export job writes its progress once done). psycopg
    cancels the COPY when the client goes away before its end."""
    connection = connections[alias]
    with connection.cursor() as cursor:
        logged = cursor.debug_sql(statement, params) if connection.queries_logged else nullcontext()
        with logged:
            yield from _lines(cursor.cursor, statement, params)


def spooled_lines(statement: str, params: list, *, alias: str) -> Iterator[bytes]:
    """:func:`copy_lines`, all read first into a temporary file (on disk: memory stays
    flat), then given one by one: the connection is free while the caller uses them (an
    export job writes its progress every so many rows). Each line is kept with its length
    before it, since a quoted field may hold a line break."""
    with tempfile.TemporaryFile() as spool:
        write = spool.write
        for line in copy_lines(statement, params, alias=alias):
            write(len(line).to_bytes(4, "little"))
            write(line)
        spool.seek(0)
        read = spool.read
        while size := read(4):
            yield read(int.from_bytes(size, "little"))


def _lines(cursor, statement: str, params: list) -> Iterator[bytes]:
    # One CopyData message per row: its last byte is the line's end (a line break inside a
    # quoted field comes before it).
    with cursor.copy(statement, params) as copy:
        for line in copy:
            yield bytes(line[:-1]) + b"\r\n"
