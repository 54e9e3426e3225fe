"""List exports: one table of typed columns written as an Excel workbook or a CSV file.

Every list page exports through this module, so the cell escaping (``escape_cell``, the same
function the import rejects files use), the constant-memory Excel writing and the row cap are
decided once. The web layer (``fengkong.web.exports``) adds the response and the audit entry.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import IO, Generic, TypeVar
from zoneinfo import ZoneInfo

import xlsxwriter

from fengkong.imports.exports import escape_cell
from fengkong.kit.time import ensure_utc

MAX_EXPORT_ROWS = 100_000
"""Rows in one export; the list pages tell the user to narrow the filters beyond it."""

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"

R = TypeVar("R")


class ExportFormat(StrEnum):
    XLSX = "xlsx"
    CSV = "csv"

    @property
    def media_type(self) -> str:
        return XLSX_MEDIA_TYPE if self is ExportFormat.XLSX else CSV_MEDIA_TYPE


class ColumnKind(StrEnum):
    """How a column's values are written: text is escaped, the rest are typed Excel cells."""

    TEXT = "text"
    NUMBER = "number"
    MONEY = "money"
    SHARE = "share"
    DATE = "date"
    DATETIME = "datetime"


_NUMBER_FORMATS: dict[ColumnKind, str] = {
    ColumnKind.NUMBER: "#,##0.##",
    ColumnKind.MONEY: "#,##0.00",
    ColumnKind.SHARE: "0.00%",
    ColumnKind.DATE: "yyyy-mm-dd",
    ColumnKind.DATETIME: "yyyy-mm-dd hh:mm",
}
_WIDTHS: dict[ColumnKind, int] = {ColumnKind.TEXT: 24, ColumnKind.DATETIME: 17}


@dataclass(frozen=True, slots=True)
class ExportColumn(Generic[R]):
    """One column of a list export: its header (a msgid, translated when written), the value it
    takes from a row, and its kind. Datetimes must already be in the business time zone."""

    header: str
    value: Callable[[R], object]
    kind: ColumnKind = ColumnKind.TEXT


@dataclass(frozen=True, slots=True)
class ExportTable(Generic[R]):
    """A list's columns (as its page shows them) with a sheet title (msgid)."""

    title: str
    columns: Sequence[ExportColumn[R]]


def local_time(moment: datetime | None, zone: ZoneInfo) -> datetime | None:
    """A stored instant as the business-zone wall-clock time a spreadsheet cell holds."""
    return None if moment is None else ensure_utc(moment).astimezone(zone).replace(tzinfo=None)


def write_export(
    target: IO[bytes],
    table: ExportTable[R],
    rows: Iterable[R],
    *,
    fmt: ExportFormat,
    gettext: Callable[[str], str],
    limit: int = MAX_EXPORT_ROWS,
) -> int:
    """Write up to ``limit`` of ``rows`` to ``target`` in ``fmt`` and return how many were
    written; rows are consumed one at a time, so a streamed query stays in constant memory."""
    headers = [gettext(column.header) for column in table.columns]
    if fmt is ExportFormat.CSV:
        return _write_csv(target, table, headers, rows, limit)
    return _write_xlsx(target, table, gettext(table.title), headers, rows, limit)


def _capped(rows: Iterable[R], limit: int) -> Iterable[tuple[int, R]]:
    for count, row in enumerate(rows, start=1):
        if count > limit:
            return
        yield count, row


def csv_text(value: object, kind: ColumnKind) -> str:
    """A cell as CSV text: text escaped against formula injection, numbers and dates plain."""
    if value is None:
        return ""
    if kind is ColumnKind.TEXT or isinstance(value, str):
        return escape_cell(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _write_csv(
    target: IO[bytes],
    table: ExportTable[R],
    headers: list[str],
    rows: Iterable[R],
    limit: int,
) -> int:
    # UTF-8 with a BOM: without it Excel reads the file in the system code page and garbles
    # Chinese.
    writer_stream = codecs.getwriter("utf-8")(target)
    target.write(codecs.BOM_UTF8)
    writer = csv.writer(writer_stream)
    writer.writerow([escape_cell(header) for header in headers])
    count = 0
    for number, row in _capped(rows, limit):
        writer.writerow([csv_text(column.value(row), column.kind) for column in table.columns])
        count = number
    return count


def _write_xlsx(
    target: IO[bytes],
    table: ExportTable[R],
    title: str,
    headers: list[str],
    rows: Iterable[R],
    limit: int,
) -> int:
    # Constant memory: xlsxwriter keeps only the current row. Text is written as text, never as
    # a formula, and escaped, so the cell stays inert even when the sheet is saved as CSV.
    workbook = xlsxwriter.Workbook(target, {"constant_memory": True, "strings_to_formulas": False})
    count = 0
    try:
        sheet = workbook.add_worksheet(title[:31])
        bold = workbook.add_format({"bold": True, "bg_color": "#E8EEF6", "border": 1})
        formats = {
            kind: workbook.add_format({"num_format": code})
            for kind, code in _NUMBER_FORMATS.items()
        }
        for index, (header, column) in enumerate(zip(headers, table.columns, strict=True)):
            sheet.write_string(0, index, header, bold)
            sheet.set_column(index, index, _WIDTHS.get(column.kind, 14))
        sheet.freeze_panes(1, 0)
        for count, row in _capped(rows, limit):
            for index, column in enumerate(table.columns):
                value = column.value(row)
                if value is None or value == "":
                    continue
                if isinstance(value, str) or column.kind is ColumnKind.TEXT:
                    sheet.write_string(count, index, escape_cell(value))
                elif isinstance(value, date):
                    kind = ColumnKind.DATETIME if isinstance(value, datetime) else ColumnKind.DATE
                    sheet.write_datetime(count, index, value, formats[kind])
                elif isinstance(value, int | float | Decimal):
                    sheet.write_number(count, index, float(value), formats.get(column.kind))
                else:
                    sheet.write_string(count, index, escape_cell(value))
        sheet.autofilter(0, 0, max(count, 1), len(headers) - 1)
    finally:
        workbook.close()
    return count
