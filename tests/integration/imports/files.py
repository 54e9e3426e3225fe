"""Import files written the way people's tools write them: CSV in UTF-8 (with or without a BOM),
GB18030 or GBK, and XLSX workbooks with typed cells."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

import xlsxwriter

from tests.factories import make_uscc

Cell = str | int | float | date | datetime | None


def write_csv(
    path: Path, header: Sequence[str], rows: Sequence[Sequence[Cell]], *, encoding: str = "utf-8"
) -> Path:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([["" if cell is None else str(cell) for cell in row] for row in rows])
    path.write_bytes(text.getvalue().encode(encoding))
    return path


def write_xlsx(
    path: Path,
    header: Sequence[str],
    rows: Sequence[Sequence[Cell]],
    *,
    formula: tuple[int, int, str] | None = None,
) -> Path:
    """A workbook whose cells have their natural types (numbers as numbers, dates as dates)."""
    workbook = xlsxwriter.Workbook(str(path))
    day = workbook.add_format({"num_format": "yyyy-mm-dd"})
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, header)
    for number, row in enumerate(rows, start=1):
        for position, cell in enumerate(row):
            if isinstance(cell, datetime):
                sheet.write_datetime(number, position, cell, day)
            elif isinstance(cell, date):
                moment = datetime(cell.year, cell.month, cell.day)  # noqa: DTZ001 - a calendar date
                sheet.write_datetime(number, position, moment, day)
            elif isinstance(cell, str):
                sheet.write_string(number, position, cell)
            elif cell is not None:
                sheet.write_number(number, position, cell)
    if formula is not None:
        at_row, at_column, text = formula
        sheet.write_formula(at_row, at_column, text, None, 1)
    workbook.close()
    return path


def uscc(serial: int) -> str:
    return make_uscc(serial, region="440300")
