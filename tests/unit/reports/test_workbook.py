"""Sheet names Excel accepts, and cells written as numbers with the formats of their column."""

from __future__ import annotations

import io

import openpyxl  # type: ignore[import-untyped]

from fengkong.kit.money import Money
from fengkong.reports.workbook import Column, Section, sheet_name, workbook_bytes


def test_sheet_names_are_cut_to_31_characters_cleaned_and_unique() -> None:
    taken: set[str] = set()
    long = "Exposure and expected loss by grade"
    assert sheet_name(long, taken) == long[:31]
    assert sheet_name(long, taken) == "Exposure and expected loss (2)"
    assert sheet_name("Grades [current]: A/B?", taken) == "Grades  current   A B"
    assert sheet_name("汇总", taken) == "汇总"
    assert all(len(name) <= 31 for name in taken)


def test_cells_are_numbers_with_their_columns_formats() -> None:
    section = Section(
        "summary",
        "Summary",
        (Column("Figure", "text"), Column("Amount", "money"), Column("Share", "share")),
        (("Net exposure", Money.of("1234.50", "CNY"), 0.125), ("Herfindahl", None, 0.5)),
    )

    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes([section])))

    sheet = book["Summary"]
    assert [cell.value for cell in sheet[1]] == ["Figure", "Amount", "Share"]
    assert (sheet["B2"].value, sheet["B2"].number_format) == (1234.5, "#,##0.00")
    assert (sheet["C2"].value, sheet["C2"].number_format) == (0.125, "0.00%")
    assert sheet["B3"].value is None
