"""CSV and XLSX downloads of the attempt list: every row of the filtered and sorted queryset,
read with a server-side iterator in chunks (never the page, never all rows at once).

Both formats stream: the CSV as a ``StreamingHttpResponse`` (with a BOM, so Excel reads UTF-8
names), the XLSX written row by row in openpyxl's write-only mode to a temporary file that is
then sent in blocks. Memory stays flat whatever the number of rows (``bench/export_memory.py``
measures it). Cells are typed: datetimes and durations are real spreadsheet values in XLSX.
``table_values`` exports any django-tables2 table as on screen; ``attempt_rows`` is the
attempt list's own export (more columns than the screen has room for)."""

import csv
import inspect
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from decimal import Decimal, InvalidOperation
from itertools import islice

from django.http import FileResponse, StreamingHttpResponse
from django.utils.timezone import localtime
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from attempts.durations import format_hms
from attempts.models import Attempt, UserAnswer

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


def _cell_reader(table, column):
    """A function record -> the column's export value, as tables2's ``value_<name>`` or the
    accessor gives it. Signatures are read once per column, not once per cell: tables2's own
    per-cell dispatch costs more than the query on a large export."""
    method = getattr(table, f"value_{column.name}", None)
    accessor = column.accessor
    wants = set(inspect.signature(method).parameters) if method else set()

    def read(record):
        value = accessor.resolve(record, quiet=True) if accessor else None
        if method is None:
            return value
        kwargs = {"record": record, "value": value}
        return method(**{name: kwargs[name] for name in wants})

    return read


def table_values(table, queryset, chunk_size: int = 2000) -> Iterator[list]:
    """Header, then one list of cell values per row, for the table's columns in order."""
    columns = [column for column in table.columns if not column.column.exclude_from_export]
    yield [str(column.header) for column in columns]
    readers = [_cell_reader(table, column) for column in columns]
    for record in queryset.iterator(chunk_size=chunk_size):
        yield [read(record) for read in readers]


# ------------------------------------------------------------------------ the attempt export


@dataclass(frozen=True)
class Column:
    header: str
    width: int  # XLSX column width, in characters
    read: Callable  # attempt -> cell value (str, int, Decimal, datetime, timedelta or None)


def attempt_columns(*, now: datetime, rank_of: Callable, zone: tzinfo) -> list[Column]:
    """The attempt export's columns. Score and percentage are empty until the attempt is
    finished (a running attempt's stored totals are "so far"); a pending attempt's are
    provisional, as its State and Result say."""

    def local(value: datetime | None) -> datetime | None:
        """In ``zone`` (the user's; given, not read when the rows stream: the request's
        active zone is gone by then), without tzinfo: spreadsheets have no zones, so the
        header names it instead."""
        return None if value is None else localtime(value, zone).replace(tzinfo=None)

    def started(attempt):
        return None if attempt.state == Attempt.State.NOT_STARTED else local(attempt.started_at)

    def result(attempt, field):
        return getattr(attempt, field) if attempt.is_finished else None

    return [
        Column("Attempt id", 10, lambda a: a.pk),
        Column("Attempt number", 9, lambda a: a.attempt_number),
        Column("Learner name", 24, lambda a: a.user.name),
        Column("Username", 16, lambda a: a.user.username),
        Column("Email", 28, lambda a: a.user.email),
        Column("State", 18, lambda a: a.state_label(now)),
        Column(f"Started ({zone})", 18, started),
        Column(f"Completed ({zone})", 18, lambda a: local(a.completed_at)),
        Column("Time taken", 11, lambda a: a.time_taken(now)),
        Column("Correct", 9, lambda a: a.correct_count),
        Column("Incorrect", 9, lambda a: a.incorrect_count),
        Column("Partial", 9, lambda a: a.partial_count),
        Column("Unanswered", 11, lambda a: a.unanswered_count),
        Column("Awaiting marking", 9, lambda a: a.pending_count),
        Column("Score", 9, lambda a: result(a, "score")),
        Column("Max score", 9, lambda a: a.max_score),
        Column("Percentage", 11, lambda a: result(a, "percentage")),
        Column("Result", 16, lambda a: a.result_label),
        Column("Rank", 7, rank_of),
    ]


def attempt_rows(
    queryset,
    columns: list[Column],
    *,
    questions: list[tuple[int, str]] = (),
    chunk_size: int = 2000,
) -> Iterator[list]:
    """Header, then one row per attempt of ``queryset`` (in its order). With ``questions``
    (``(exam question id, header)`` in exam order) one more column each: the marks awarded,
    read for a whole chunk of attempts in one query (never one per row); empty where the
    attempt has no answer row (a running attempt's unanswered question)."""
    yield [column.header for column in columns] + [header for _, header in questions]
    records = queryset.iterator(chunk_size=chunk_size)
    while chunk := list(islice(records, chunk_size)):
        marks: dict[tuple[int, int], Decimal] = {}
        if questions:
            answers = UserAnswer.objects.filter(
                attempt_id__in=[attempt.pk for attempt in chunk]
            ).values_list("attempt_id", "exam_question_id", "marks_awarded")
            marks = {(attempt_id, eq_id): value for attempt_id, eq_id, value in answers}
        for attempt in chunk:
            row = [column.read(attempt) for column in columns]
            row.extend(marks.get((attempt.pk, eq_id)) for eq_id, _ in questions)
            yield row


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


def csv_response(rows: Iterable[list], filename: str, **_) -> StreamingHttpResponse:
    """Streamed line by line; the first line starts with the BOM."""
    writer = csv.writer(_Echo())

    def lines():
        for number, row in enumerate(rows):
            line = writer.writerow([_csv_text(cell) for cell in row])
            yield BOM + line if number == 0 else line

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


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


def xlsx_response(rows: Iterable[list], filename: str, *, widths: list[int] = ()) -> FileResponse:
    """Written row by row in openpyxl's write-only mode to a temporary file, then streamed.
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
    handle = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it when sent)
    workbook.save(handle)
    handle.seek(0)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=f"{filename}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
