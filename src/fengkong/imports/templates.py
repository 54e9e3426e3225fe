"""Empty files to fill in, one per kind: the header in the reader's language and, in the workbook,
a second sheet saying what each column takes."""

from __future__ import annotations

import io
from dataclasses import dataclass
from enum import StrEnum

import xlsxwriter

from fengkong.i18n import N_, Message
from fengkong.imports.exports import escape_cell
from fengkong.imports.kinds import Column, ColumnType, Kind
from fengkong.settings import Locale


class TemplateFormat(StrEnum):
    XLSX = "xlsx"
    CSV = "csv"


@dataclass(frozen=True, slots=True)
class Template:
    file_name: str
    media_type: str
    content: bytes


_HINTS: dict[ColumnType, str] = {
    ColumnType.TEXT: N_("Text, as written"),
    ColumnType.USCC: N_("Unified social credit code (18 characters)"),
    ColumnType.DATE: N_("Date, e.g. 2026-01-31"),
    ColumnType.AMOUNT: N_("Amount, e.g. 1234.56 (at most the currency's decimal places)"),
    ColumnType.CURRENCY: N_("ISO 4217 currency code; empty means %(currency)s"),
    ColumnType.INTEGER: N_("A whole number"),
    ColumnType.SHARE: N_("Share, e.g. 0.51 or 51%"),
    ColumnType.NUMBER: N_("A number, e.g. 72.5"),
    ColumnType.BOOLEAN: N_("Yes or no (是/否)"),
    ColumnType.CHOICE: N_("One of: %(choices)s"),
    ColumnType.INDUSTRY: N_("GB/T 4754 industry code, e.g. C3011"),
    ColumnType.REGION: N_("GB/T 2260 region code, e.g. 310000"),
    ColumnType.RESIDENT_ID: N_("Resident ID number (18 characters); stored encrypted"),
}
_TEXT_LIKE = frozenset(
    {
        ColumnType.TEXT,
        ColumnType.USCC,
        ColumnType.CURRENCY,
        ColumnType.CHOICE,
        ColumnType.INDUSTRY,
        ColumnType.REGION,
        ColumnType.RESIDENT_ID,
    }
)
_NOTES_SHEET = N_("How to fill in")
_NOTES_HEADER = (N_("Column header"), N_("Required or optional"), N_("What to enter"))
_REQUIRED, _OPTIONAL = N_("must be filled in"), N_("may be left empty")


def header(column: Column, locale: Locale) -> str:
    return column.chinese if locale == "zh_CN" else column.name


def hint(column: Column, locale: Locale, default_currency: str) -> str:
    params: dict[str, object] = {}
    if column.type is ColumnType.CURRENCY:
        params = {"currency": default_currency}
    elif column.type is ColumnType.CHOICE:
        params = {"choices": ", ".join(column.choices)}
    elif column.allowed:
        return ", ".join(str(value) for value in column.allowed)
    return Message(_HINTS[column.type], params).render(locale)


def template(
    kind: Kind, file_format: TemplateFormat, locale: Locale, default_currency: str
) -> Template:
    if file_format is TemplateFormat.CSV:
        headers = ",".join(_csv_cell(header(column, locale)) for column in kind.columns)
        return Template(
            f"{kind.name}-template.csv",
            "text/csv; charset=utf-8",
            ("\ufeff" + headers + "\r\n").encode("utf-8"),
        )
    return Template(
        f"{kind.name}-template.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _workbook(kind, locale, default_currency),
    )


def _csv_cell(text: str) -> str:
    cell = escape_cell(text)
    return f'"{cell.replace(chr(34), chr(34) * 2)}"' if any(c in cell for c in ',"\n') else cell


def _workbook(kind: Kind, locale: Locale, default_currency: str) -> bytes:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False})
    bold = workbook.add_format({"bold": True, "bg_color": "#DDEBF7"})
    plain = workbook.add_format({"bg_color": "#F2F2F2"})
    text = workbook.add_format({"num_format": "@"})
    day = workbook.add_format({"num_format": "yyyy-mm-dd"})
    sheet = workbook.add_worksheet(kind.name)
    sheet.freeze_panes(1, 0)
    for position, column in enumerate(kind.columns):
        title = header(column, locale)
        sheet.write_string(0, position, escape_cell(title), bold if column.required else plain)
        sheet.write_comment(0, position, hint(column, locale, default_currency))
        cell_format = (
            day if column.type is ColumnType.DATE else (text if column.type in _TEXT_LIKE else None)
        )
        sheet.set_column(position, position, max(14, len(title) * 2 + 2), cell_format)
    notes = workbook.add_worksheet(Message(_NOTES_SHEET).render(locale)[:31])
    for position, title in enumerate(_NOTES_HEADER):
        notes.write_string(0, position, Message(title).render(locale), bold)
    for row, column in enumerate(kind.columns, start=1):
        required = Message(_REQUIRED if column.required else _OPTIONAL).render(locale)
        notes.write_string(row, 0, escape_cell(header(column, locale)))
        notes.write_string(row, 1, required)
        notes.write_string(row, 2, escape_cell(hint(column, locale, default_currency)))
    notes.set_column(0, 0, 28)
    notes.set_column(1, 1, 10)
    notes.set_column(2, 2, 70)
    workbook.close()
    return buffer.getvalue()
