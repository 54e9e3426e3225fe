"""Report sections as an Excel workbook: one sheet per section, headers in the report's
language, numbers as numbers (money with 2 decimals, shares as percentages), written with
xlsxwriter's constant memory mode so a large section does not sit in memory twice."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import xlsxwriter

from fengkong.kit.money import Money

ColumnKind = Literal["text", "count", "money", "share"]
Cell = str | int | float | Money | None

SHEET_NAME_LIMIT = 31
_NOT_IN_SHEET_NAMES = re.compile(r"[\[\]:*?/\\]")
FORMATS = {"money": "#,##0.00", "count": "#,##0", "share": "0.00%"}


@dataclass(frozen=True, slots=True)
class Column:
    title: str
    kind: ColumnKind


@dataclass(frozen=True, slots=True)
class Section:
    """One table of a report: a heading and a table in HTML, a sheet in the workbook."""

    key: str
    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]


def sheet_name(title: str, taken: set[str]) -> str:
    """A valid, unique sheet name: Excel refuses ``[]:*?/\\`` and names over 31 characters."""
    base = _NOT_IN_SHEET_NAMES.sub(" ", title).strip()[:SHEET_NAME_LIMIT] or "Sheet"
    name, number = base, 1
    while name.casefold() in taken:
        number += 1
        suffix = f" ({number})"
        name = base[: SHEET_NAME_LIMIT - len(suffix)].rstrip() + suffix
    taken.add(name.casefold())
    return name


def workbook_bytes(sections: Iterable[Section]) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"constant_memory": True, "in_memory": True})
    header = book.add_format({"bold": True, "bottom": 1})
    formats = {kind: book.add_format({"num_format": pattern}) for kind, pattern in FORMATS.items()}
    taken: set[str] = set()
    for section in sections:
        sheet = book.add_worksheet(sheet_name(section.title, taken))
        sheet.set_column(0, 0, 28)
        sheet.set_column(1, len(section.columns), 16)
        for column, heading in enumerate(section.columns):
            sheet.write_string(0, column, heading.title, header)
        for row_number, row in enumerate(section.rows, start=1):
            for column, (heading, cell) in enumerate(zip(section.columns, row, strict=True)):
                if cell is None:
                    continue
                if isinstance(cell, str):
                    sheet.write_string(row_number, column, cell)
                else:
                    number = float(cell.amount) if isinstance(cell, Money) else float(cell)
                    sheet.write_number(row_number, column, number, formats.get(heading.kind))
    book.close()
    return buffer.getvalue()
