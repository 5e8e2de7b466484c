"""CSV and XLSX downloads of a django-tables2 table: the columns on screen, every row of the
filtered and sorted queryset, read with a server-side iterator (not the page)."""

import csv
import inspect
import tempfile
from collections.abc import Iterable, Iterator
from decimal import Decimal, InvalidOperation

from django.http import FileResponse, StreamingHttpResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

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


class _Echo:
    def write(self, value):
        return value


def csv_response(rows: Iterable[list], filename: str) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow([escape_formula(cell) for cell in row]) for row in rows),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def xlsx_response(rows: Iterable[list], filename: str) -> FileResponse:
    """Written row by row in openpyxl's write-only mode to a temporary file, then streamed."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Attempts")
    for row in rows:
        cells = []
        for value in row:
            if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
                cells.append(value)
                continue
            cell = WriteOnlyCell(sheet, value="" if value is None else str(value))
            cell.data_type = "s"  # always text: never evaluated as a formula
            cells.append(cell)
        sheet.append(cells)
    handle = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it when sent)
    workbook.save(handle)
    handle.seek(0)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=f"{filename}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
