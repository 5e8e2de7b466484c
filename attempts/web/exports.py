"""CSV and XLSX downloads of the attempt list: every row of the filtered and sorted queryset,
read with a server-side iterator in chunks (never the page, never all rows at once).

Both formats stream: the CSV as a ``StreamingHttpResponse`` (with a BOM, so Excel reads UTF-8
names), the XLSX written row by row in openpyxl's write-only mode to a temporary file that is
then sent in blocks. Memory stays flat whatever the number of rows (``bench/export_memory.py``
measures it). Cells are typed: datetimes and durations are real spreadsheet values in XLSX.
``attempt_rows`` is the attempt list's own export (more columns than the screen has room for).

On PostgreSQL the CSV's lines are written by the database (``attempts.web.export_copy``:
``COPY (SELECT ...) TO STDOUT``, the same bytes, about three times faster at 400k rows);
SQLite, and XLSX everywhere, read the rows here."""

import csv
import functools
import re
import tempfile
import threading
from array import array
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from itertools import islice
from queue import Full, Queue
from zoneinfo import ZoneInfo

from django.db import connections, transaction
from django.http import FileResponse, QueryDict, StreamingHttpResponse
from django.utils.text import slugify
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from assessments.models import Exam, ExamQuestion
from attempts.durations import format_hms
from attempts.models import Attempt, UserAnswer
from attempts.statistics.ranking import RankTable, in_population
from attempts.web.export_copy import copy_lines, copy_statement, spooled_lines
from attempts.web.filters import AttemptListFilter
from attempts.web.tables import AttemptTable
from lms.models import User

# A cell starting with one of these is run as a formula by spreadsheet programs (CSV
# injection, OWASP): such text gets a leading apostrophe. Numbers like -1.50 stay numbers.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _is_number(text: str) -> bool:
    try:
        Decimal(text)
    except InvalidOperation:
        return False
    return text.strip() == text and text.lower() not in ("nan", "inf", "-inf", "infinity")


def escape_formula(value) -> str:
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_PREFIXES) and not _is_number(text):
        return "'" + text
    return text


# ------------------------------------------------------------------------ the attempt export


class Kind(StrEnum):
    """How a column's values are written to CSV (XLSX types each cell itself)."""

    NUMBER = "number"  # int, Decimal or None: the csv module writes them as they are
    LABEL = "label"  # the product's own words (state, result): never a formula
    TEXT = "text"  # what users typed (names, emails): escaped against formulas
    DATETIME = "datetime"  # naive local time
    DURATION = "duration"  # timedelta, as H:MM:SS


@dataclass(frozen=True)
class Column:
    header: str
    width: int  # XLSX column width, in characters
    kind: Kind = Kind.NUMBER


# What the attempt export reads of each attempt, in this order: one tuple per row from
# ``values_list`` (no model instance, no method call per row; 20 times faster at 400k rows).
ATTEMPT_FIELDS = (
    "pk",
    "attempt_number",
    "user__display_name",
    "user__first_name",
    "user__last_name",
    "user__username",
    "user__email",
    "state",
    "started_at",
    "completed_at",
    "deadline_at",
    "correct_count",
    "incorrect_count",
    "partial_count",
    "unanswered_count",
    "pending_count",
    "score",
    "max_score",
    "percentage",
    "passed",
    "counts_for_rank",
)


def attempt_columns(zone: tzinfo) -> list[Column]:
    """The attempt export's columns. Score and percentage are empty until the attempt is
    finished (a running attempt's stored totals are "so far"); a pending attempt's are
    provisional, as its State and Result say. Times are in ``zone`` (the user's), which the
    header names: spreadsheets have no zones."""
    return [
        Column("Attempt id", 10),
        Column("Attempt number", 9),
        Column("Learner name", 24, Kind.TEXT),
        Column("Username", 16, Kind.TEXT),
        Column("Email", 28, Kind.TEXT),
        Column("State", 18, Kind.LABEL),
        Column(f"Started ({zone})", 18, Kind.DATETIME),
        Column(f"Completed ({zone})", 18, Kind.DATETIME),
        Column("Time taken", 11, Kind.DURATION),
        Column("Correct", 9),
        Column("Incorrect", 9),
        Column("Partial", 9),
        Column("Unanswered", 11),
        Column("Awaiting marking", 9),
        Column("Score", 9),
        Column("Max score", 9),
        Column("Percentage", 11),
        Column("Result", 16, Kind.LABEL),
        Column("Rank", 7),
    ]


def uses_server_side_cursors(alias: str) -> bool:
    """Does ``QuerySet.iterator()`` stream from the database? Not on PostgreSQL with
    ``DISABLE_SERVER_SIDE_CURSORS`` (PgBouncer in transaction mode): psycopg would then load
    the whole result at once. SQLite streams from its own cursor."""
    connection = connections[alias]
    return not (
        connection.vendor == "postgresql"
        and connection.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS")
    )


@contextmanager
def _timestamps_loaded_in_c(connection):
    """On PostgreSQL, for the block: psycopg's C loader of timestamptz instead of Django's,
    which parses each value in Python (with a regular expression) then replaces its tzinfo:
    two thirds of the time of streaming an exam's attempts. Both give the same instants (the
    session's time zone is Django's); Django's is put back after the block."""
    if connection.vendor != "postgresql":
        yield
        return
    from psycopg import adapters
    from psycopg.adapt import Loader
    from psycopg.pq import Format

    connection.ensure_connection()
    oid = adapters.types["timestamptz"].oid
    mapping = connection.connection.adapters
    django_loader = mapping.get_loader(oid, Format.TEXT)
    c_loader = adapters.get_loader(oid, Format.TEXT)  # psycopg's own: C with psycopg[binary]

    class Fast(Loader):
        # Django reads ``timezone`` off the loader when it makes a cursor: the same as its.
        timezone = django_loader.timezone

        def __init__(self, oid, context=None):
            super().__init__(oid, context)
            self._load = c_loader(oid, context).load

        def load(self, data):
            return self._load(data)

    mapping.register_loader(oid, Fast)
    try:
        yield
    finally:
        mapping.register_loader(oid, django_loader)


_END = object()


def read_ahead(chunks: Iterator[list], depth: int = 2) -> Iterator[list]:
    """``chunks`` as they come, read up to ``depth`` ahead by a thread: PostgreSQL produces
    and sends the next chunk while the caller turns the last one into lines, instead of
    waiting for each FETCH in turn (psycopg releases the GIL while it waits on the socket).
    An error of the reader is raised here; a caller that stops early stops the reader.

    Only for a server-side cursor already opened on the caller's connection: the reader
    fetches from it (psycopg serializes the connection's use by the two threads)."""
    queue: Queue = Queue(maxsize=depth)
    stop = threading.Event()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                queue.put(item, timeout=0.1)
                return True
            except Full:
                continue
        return False

    def read():
        try:
            for chunk in chunks:
                if not put(chunk):
                    return
            put(_END)
        except BaseException as error:  # noqa: BLE001 (raised again in the caller)
            put(error)

    reader = threading.Thread(target=read, name="export-read-ahead", daemon=True)
    reader.start()
    try:
        while (item := queue.get()) is not _END:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        reader.join()


def chunks_of(
    queryset, fields: Sequence[str], chunk_size: int, *, in_transaction: bool = True
) -> Iterator[list[tuple]]:
    """Lists of at most ``chunk_size`` tuples of ``fields`` (``pk`` first), every row of
    ``queryset`` in its order, never all of them in memory.

    One query through a server-side cursor where there is one. Without (PgBouncer), a
    deferred join: the ordered ids first (8 bytes a row), then one query by primary key per
    chunk; a row deleted meanwhile is left out.

    ``in_transaction=False`` (an export job, whose progress updates must commit while it
    reads) opens no transaction for the cursor: see below."""
    rows = queryset.values_list(*fields)
    if uses_server_side_cursors(queryset.db):
        # In a transaction: outside one (autocommit) Django declares the cursor WITH HOLD,
        # and PostgreSQL then runs the whole query and stores its result before the first
        # row comes; inside, rows stream as the query produces them.
        connection = connections[queryset.db]
        held = (
            in_transaction and connection.vendor == "postgresql" and not connection.in_atomic_block
        )
        with (
            transaction.atomic(using=queryset.db) if held else nullcontext(),
            _timestamps_loaded_in_c(connection),
        ):
            records = rows.iterator(chunk_size=chunk_size)
            # The first chunk here: the query runs on this thread's connection.
            first = list(islice(records, chunk_size))
            chunks = iter(lambda: list(islice(records, chunk_size)), [])
            if first and connection.vendor == "postgresql":
                chunks = read_ahead(chunks)
            yield from ([first] if first else [])
            yield from chunks
        return
    ids = array("q", queryset.values_list("pk", flat=True))
    for start in range(0, len(ids), chunk_size):
        part = ids[start : start + chunk_size]
        found = {row[0]: row for row in rows.order_by().filter(pk__in=part)}
        yield [found[pk] for pk in part if pk in found]


def label_tables(now: datetime, text=None) -> tuple[dict, dict]:
    """What the State column says for each (state, past its deadline), and the Result
    column for each (state, passed), from the model's own ``state_label`` and
    ``result_label``; each word passed through ``text`` (``csv_field`` for CSV)."""
    text = text or _same
    moment = now - timedelta(microseconds=1)
    state_labels = {
        (state, late): text(
            Attempt(state=state, deadline_at=moment if late else None).state_label(now)
        )
        for state in Attempt.State
        for late in (False, True)
    }
    result_labels = {
        (state, passed): text(Attempt(state=state, passed=passed).result_label)
        for state in Attempt.State
        for passed in (None, False, True)
    }
    return state_labels, result_labels


def attempt_header(zone: tzinfo, questions: Sequence[tuple[int, str]] = ()) -> list[str]:
    """The export's first row: the columns' headers, then one per exam question."""
    return [column.header for column in attempt_columns(zone)] + [h for _, h in questions]


def attempt_rows(
    queryset,
    *,
    now: datetime,
    ranks: RankTable,
    zone: tzinfo,
    questions: list[tuple[int, str]] = (),
    chunk_size: int = 2000,
    as_csv: bool = False,
    in_transaction: bool = True,
) -> Iterator[list]:
    """Header, then one row per attempt of ``queryset`` (in its order), typed values in the
    order of :func:`attempt_columns`. With ``questions`` (``(exam question id, header)`` in
    exam order) one more column each: the marks awarded, read for a whole chunk of attempts
    in one query (never one per row); empty where the attempt has no answer row (a running
    attempt's unanswered question).

    With ``as_csv`` every cell is already its CSV field, as :func:`csv_lines` would write it
    from the typed row (text escaped against formulas and quoted where the csv module
    quotes, times and durations as text, empty for None), numbers apart: the rows then go
    to :func:`csv_text_lines`, which only joins them. The typed and the text rows come from
    the same loop, so they cannot say different things. ``in_transaction``: see
    :func:`chunks_of`.

    Labels and ranks are looked up in tables built once from the model's own rules
    (``Attempt.result_label``, ``state_label``, ``ranking.in_population``), not computed per
    row; the time taken and the learner's name come from the models' field-level functions."""
    yield attempt_header(zone, questions)
    State = Attempt.State
    if as_csv:
        text, local, duration, empty = csv_field, _local_text(zone), _hms_text(), ""
    else:
        text, duration, empty = _same, _same, None

        def local(value):
            return value.astimezone(zone).replace(tzinfo=None)

    state_labels, result_labels = label_tables(now, text)
    ranked = {
        (state, flag): in_population(Attempt(state=state, counts_for_rank=flag))
        for state in State
        for flag in (False, True)
    }
    finished = frozenset(Attempt.FINISHED_STATES)
    not_started, running = State.NOT_STARTED, State.RUNNING
    rank, name_from, time_between = ranks.rank, User.name_from, Attempt.time_between
    question_ids = [eq_id for eq_id, _ in questions]
    for chunk in chunks_of(queryset, ATTEMPT_FIELDS, chunk_size, in_transaction=in_transaction):
        marks: dict[tuple[int, int], Decimal] = {}
        if questions:
            answers = UserAnswer.objects.filter(
                attempt_id__in=[row[0] for row in chunk]
            ).values_list("attempt_id", "exam_question_id", "marks_awarded")
            marks = {(attempt_id, eq_id): value for attempt_id, eq_id, value in answers}
        for (
            pk,
            number,
            display_name,
            first_name,
            last_name,
            username,
            email,
            state,
            started_at,
            completed_at,
            deadline_at,
            correct,
            incorrect,
            partial,
            unanswered,
            pending,
            score,
            max_score,
            percentage,
            passed,
            counts_for_rank,
        ) in chunk:
            done = state in finished
            # Only a running attempt can be late: most rows skip the call.
            late = state == running and Attempt.overdue(state, deadline_at, now)
            taken = time_between(state, started_at, completed_at, deadline_at, now)
            row = [
                pk,
                number,
                text(name_from(display_name, first_name, last_name, username)),
                text(username),
                text(email),
                state_labels[state, late],
                empty if state == not_started else local(started_at),
                empty if completed_at is None else local(completed_at),
                empty if taken is None else duration(taken),
                correct,
                incorrect,
                partial,
                unanswered,
                pending,
                score if done else empty,
                max_score,
                percentage if done else empty,
                result_labels[state, passed],
                rank(score) if ranked[state, counts_for_rank] else "",
            ]
            if questions:
                row.extend([marks.get((pk, eq_id), empty) for eq_id in question_ids])
            yield row


# ------------------------------------------------------------------ the attempt list's export


def exam_attempts(user, exam: Exam):
    """The attempt list's rows before its filters: the attempts of ``exam`` that ``user``
    reviews (``lms.access``), with their learners."""
    return Attempt.objects.reviewable_by(user).filter(exam=exam).select_related("user")


# What of the list's query is not a filter or the sort: the page, and what to export.
NOT_ROWS = ("page", "per_page", "export", "questions")


def rows_query(params: QueryDict) -> str:
    """The list's query string as an export job keeps it: its filters and sort only."""
    params = params.copy()
    for name in NOT_ROWS:
        params.pop(name, None)
    return params.urlencode()


def attempt_list_rows(user, exam: Exam, query: str):
    """The rows the attempt list of ``exam`` shows ``user`` with ``query`` (its filters and
    sort, as :func:`rows_query` keeps them), in its order: the same filter set and table as
    the page, without a request. ValueError for a query the page would refuse."""
    params = QueryDict(query)
    filterset = AttemptListFilter(params, queryset=exam_attempts(user, exam))
    if not filterset.is_valid():
        raise ValueError(f"Invalid filters: {filterset.errors.as_text()}")
    table = AttemptTable(filterset.qs, ranks=None)
    if sort := params.getlist("sort"):
        table.order_by = sort
    return table.data.data


@dataclass(frozen=True)
class AttemptExport:
    """An attempt list export: its rows (header first), the file's name without extension,
    and the writers' keyword arguments (``csv_response``, ``xlsx_response``, ``write_*``)."""

    rows: Iterator[list]
    filename: str
    options: dict


def attempt_export(
    queryset,
    *,
    exam: Exam,
    ranks: RankTable,
    now: datetime,
    zone: tzinfo,
    questions: bool,
    as_csv: bool,
    in_transaction: bool = True,
) -> AttemptExport:
    """The export of ``queryset`` (the list's rows, in its order): one column of marks per
    exam question with ``questions``; cells made CSV text with ``as_csv``. The page's direct
    export and the export jobs both write this (``in_transaction``: :func:`chunks_of`)."""
    placed = []
    if questions:
        marks = ExamQuestion.objects.filter(exam=exam).order_by("order", "id")
        placed = [
            (eq_id, f"Q{number} ({value})")
            for number, (eq_id, value) in enumerate(marks.values_list("id", "marks"), 1)
        ]
    columns = attempt_columns(zone)
    copied = as_csv and copies_csv(queryset.db, zone)
    read = copied_rows if copied else functools.partial(attempt_rows, as_csv=as_csv)
    rows = read(
        queryset, now=now, ranks=ranks, zone=zone, questions=placed, in_transaction=in_transaction
    )
    return AttemptExport(
        rows=rows,
        filename=f"attempts-{slugify(exam.title)}",
        options={
            "widths": [column.width for column in columns],
            "kinds": [column.kind for column in columns],
            "as_csv": as_csv,
            "encoded": copied,
        },
    )


def copies_csv(alias: str, zone: tzinfo) -> bool:
    """Is the CSV written by the database (``attempts.web.export_copy``)? On PostgreSQL,
    for a zone that has a name (``AT TIME ZONE`` takes the name); SQLite writes it in Python."""
    return connections[alias].vendor == "postgresql" and isinstance(zone, ZoneInfo)


def copied_rows(
    queryset,
    *,
    now: datetime,
    ranks: RankTable,
    zone: tzinfo,
    questions: list[tuple[int, str]] = (),
    in_transaction: bool = True,
) -> Iterator:
    """The header of :func:`attempt_rows`, then each row as its line of the CSV file,
    encoded, written by PostgreSQL (``export_copy``): the same bytes as
    ``csv_text_lines(attempt_rows(..., as_csv=True))``. The COPY holds the connection until
    its last line (``copy_lines``): with ``in_transaction=False`` (an export job, which
    writes its progress while the rows come) the lines are all read first into a temporary
    file (``spooled_lines``), then given."""
    yield attempt_header(zone, questions)
    state_labels, result_labels = label_tables(now, csv_field)
    statement, params = copy_statement(
        queryset,
        now=now,
        ranks=ranks,
        zone=zone,
        state_labels=state_labels,
        result_labels=result_labels,
        questions=[eq_id for eq_id, _ in questions],
    )
    lines = copy_lines if in_transaction else spooled_lines
    yield from lines(statement, params, alias=queryset.db)


def _same(value):
    return value


# ---------------------------------------------------------------------------------- formats


class _Echo:
    def write(self, value):
        return value


# Excel reads a CSV as UTF-8 only when it starts with a byte order mark.
BOM = "\ufeff"


def _csv_text(value) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, timedelta):
        return format_hms(value)
    return escape_formula(value)


def _csv_datetime(value: datetime | None) -> str | None:
    # As strftime("%Y-%m-%d %H:%M:%S") writes it (four-digit years), three times faster.
    return None if value is None else value.isoformat(" ", "seconds")


# Kind -> what turns a value into its CSV text; numbers and labels go to the csv module as
# they are (it writes None as an empty field and a number as str() does).
CSV_TEXT = {Kind.TEXT: escape_formula, Kind.DATETIME: _csv_datetime, Kind.DURATION: format_hms}


def csv_lines(rows: Iterable[list], kinds: Sequence[Kind] = ()) -> Iterator[str]:
    """The lines of the CSV file, the first one starting with the BOM. With ``kinds`` (one
    per column; columns past them are numbers) only the columns that need it are converted,
    with no test of each cell's type; without, every cell is."""
    writer = csv.writer(_Echo())
    rows = iter(rows)
    header = next(rows, None)
    if header is None:
        return
    yield BOM + writer.writerow([_csv_text(cell) for cell in header])
    if not kinds:
        for row in rows:
            yield writer.writerow([_csv_text(cell) for cell in row])
        return
    convert = [(index, CSV_TEXT[kind]) for index, kind in enumerate(kinds) if kind in CSV_TEXT]
    write = writer.writerow
    for row in rows:
        for index, text in convert:
            row[index] = text(row[index])
        yield write(row)


# What makes the csv module quote a field (QUOTE_MINIMAL, its default dialect): the delimiter,
# the quote character, or a character of the line terminator.
_needs_quotes = re.compile('[,"\r\n]').search
# Text that neither starts like a formula nor needs quotes (most names, every email): as is.
_plain = re.compile('(?![=+\\-@\t\r])[^,"\r\n]*\\Z').match


def csv_field(value) -> str:
    """``value`` as the csv module writes it in a text column: escaped against formulas
    (:func:`escape_formula`), then quoted, its quotes doubled, where the module would."""
    if value.__class__ is str and _plain(value):
        return value
    text = escape_formula(value)
    if _needs_quotes(text):
        return '"' + text.replace('"', '""') + '"'
    return text


def _local_text(zone: tzinfo):
    """A datetime's CSV text in ``zone``: what ``_csv_datetime`` writes of the naive local
    time (the offset that ``isoformat`` appends is cut), one conversion fewer a cell."""

    def text(value: datetime) -> str:
        return value.astimezone(zone).isoformat(" ", "seconds")[:19]

    return text


def _hms_text():
    """A duration's CSV text (``format_hms``), remembered per whole second: an exam's
    attempts take a few thousand distinct durations, not one each."""
    known: dict[int, str] = {}

    def text(value: timedelta) -> str:
        # Whole seconds as format_hms counts them (a negative duration is 0 either way).
        seconds = value.days * 86400 + value.seconds
        try:
            return known[seconds]
        except KeyError:
            known[seconds] = hms = format_hms(seconds)
            return hms

    return text


def csv_text_lines(rows: Iterable[list]) -> Iterator[str]:
    """The lines of the CSV file from rows whose cells are their CSV fields already
    (``attempt_rows(as_csv=True)``) or numbers: the same bytes as :func:`csv_lines` writes
    from the typed rows, without the csv module's per-cell work (ten times a ``join``)."""
    rows = iter(rows)
    header = next(rows, None)
    if header is None:
        return
    yield BOM + csv.writer(_Echo()).writerow([_csv_text(cell) for cell in header])
    join = ",".join
    for row in rows:
        yield join(map(str, row)) + "\r\n"


def csv_blocks(
    rows: Iterable[list], *, kinds: Sequence[Kind] = (), as_csv: bool = False, encoded=False
) -> Iterator[str | bytes]:
    """The file's text in blocks of about 64 KB, from :func:`csv_lines` (or
    :func:`csv_text_lines` for rows made ``as_csv``): one WSGI or file write per line would
    cost more than the line. ``encoded``: the rows after the header are the file's lines
    already (:func:`copied_rows`), and the blocks are bytes."""
    if encoded:
        yield from _encoded_blocks(rows)
        return
    block, size = [], 0
    for line in csv_text_lines(rows) if as_csv else csv_lines(rows, kinds):
        block.append(line)
        size += len(line)
        if size >= 65536:
            yield "".join(block)
            block, size = [], 0
    if block:
        yield "".join(block)


def _encoded_blocks(rows: Iterable) -> Iterator[bytes]:
    rows = iter(rows)
    header = next(rows, None)
    if header is None:
        return
    first = BOM + csv.writer(_Echo()).writerow([_csv_text(cell) for cell in header])
    block, size = [first.encode()], 0
    for line in rows:
        block.append(line)
        size += len(line)
        if size >= 65536:
            yield b"".join(block)
            block, size = [], 0
    if block:
        yield b"".join(block)


def csv_response(
    rows: Iterable[list],
    filename: str,
    *,
    kinds: Sequence[Kind] = (),
    as_csv: bool = False,
    encoded: bool = False,
    **_,
) -> StreamingHttpResponse:
    """Streamed as it is written (:func:`csv_blocks`)."""
    blocks = csv_blocks(rows, kinds=kinds, as_csv=as_csv, encoded=encoded)
    response = StreamingHttpResponse(blocks, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def write_csv(
    rows: Iterable[list],
    handle,
    *,
    kinds: Sequence[Kind] = (),
    as_csv: bool = False,
    encoded: bool = False,
    **_,
) -> None:
    """The same file as :func:`csv_response` sends, written to ``handle`` (binary)."""
    for block in csv_blocks(rows, kinds=kinds, as_csv=as_csv, encoded=encoded):
        handle.write(block if encoded else block.encode())


HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
HEADER_ALIGNMENT = Alignment(wrap_text=True, vertical="top")
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
DURATION_FORMAT = "[h]:mm:ss"  # hours past 24, as format_hms writes them
NUMBER_FORMAT = "0.00"


def _xlsx_cell(sheet, value):
    """A typed cell: numbers stay numbers, datetimes and durations real dates and times
    (with a format), and text is always text (never evaluated as a formula)."""
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    cell = WriteOnlyCell(sheet, value=value if not isinstance(value, bool) else str(value))
    if isinstance(value, Decimal):
        cell.number_format = NUMBER_FORMAT
    elif isinstance(value, datetime):
        cell.number_format = DATETIME_FORMAT
    elif isinstance(value, timedelta):
        cell.number_format = DURATION_FORMAT
    else:
        cell.value = str(value)
        cell.data_type = "s"
    return cell


def write_xlsx(rows: Iterable[list], handle, *, widths: Sequence[int] = (), **_) -> None:
    """Written row by row in openpyxl's write-only mode to ``handle`` (binary, seekable).
    The header row is bold on a fill, frozen, and carries an autofilter over every row;
    ``widths`` sets the first columns' widths (the others get a default)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Attempts")
    rows = iter(rows)
    header = next(rows, [])
    # Widths and the frozen pane are written before the first row in write-only mode.
    for index in range(1, len(header) + 1):
        width = widths[index - 1] if index <= len(widths) else 12
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    cells = []
    for title in header:
        cell = WriteOnlyCell(sheet, value=str(title))
        cell.data_type = "s"
        cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, HEADER_ALIGNMENT
        cells.append(cell)
    sheet.append(cells)
    count = 1
    for row in rows:
        sheet.append([_xlsx_cell(sheet, value) for value in row])
        count += 1
    if header:
        # Written with the sheet's tail, after the rows: the range is known by then.
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{count}"
    workbook.save(handle)


def xlsx_response(
    rows: Iterable[list], filename: str, *, widths: Sequence[int] = (), **_
) -> FileResponse:
    """Written to a temporary file (:func:`write_xlsx`), then streamed."""
    handle = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it when sent)
    write_xlsx(rows, handle, widths=widths)
    handle.seek(0)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=f"{filename}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
