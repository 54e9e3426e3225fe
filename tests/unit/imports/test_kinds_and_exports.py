"""The declarations match the tables they fill; files we hand out are safe to open in Excel."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from fengkong import tables
from fengkong.imports.exports import escape_cell, write_csv
from fengkong.imports.kinds import KINDS, ImportKind, Kind, header_token
from fengkong.imports.templates import TemplateFormat, template
from fengkong.settings import Locale


@pytest.mark.parametrize("kind", list(KINDS.values()), ids=[kind.name for kind in KINDS.values()])
def test_every_declared_column_and_key_exists_in_the_table_it_fills(kind: Kind) -> None:
    target = tables.metadata.tables[kind.table]
    provided = {name for ref in kind.references for name in ref.provides}
    for column in kind.columns:
        if column.target is not None:
            assert column.target in target.c, column.name
    for name in kind.key:
        assert name in target.c
        assert name in provided or any(column.target == name for column in kind.columns)
    for name in kind.file_key:
        assert any(column.staged == name for column in kind.columns)
    for name in [*kind.new_row_values, *kind.labels]:
        assert name in target.c
    for ref in kind.references:
        assert ref.key in tables.metadata.tables[ref.table].c


def test_headers_compare_without_case_width_or_spacing() -> None:
    assert header_token(" Invoice Number ") == header_token("invoice_number")
    assert header_token("ＩＮＶＯＩＣＥ　ＮＵＭＢＥＲ") == "invoice_number"
    assert header_token("\ufeff发票号") == "发票号"
    assert header_token("所有者权益（或股东权益）合计") == header_token(
        "所有者权益(或股东权益)合计"
    )


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+86 21 1234", "'+86 21 1234"),
        ("-100", "'-100"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("上海 = 好", "上海 = 好"),
        (None, ""),
        (42, "42"),
    ],
)
def test_cells_a_spreadsheet_would_run_as_formulas_are_defused(value: object, written: str) -> None:
    assert escape_cell(value) == written


def test_csv_we_write_has_a_bom_for_excel_and_defused_cells(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    write_csv(path, [["名称", "金额"], ["=1+1", "-5"]])
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert list(csv.reader(io.StringIO(raw.decode("utf-8-sig")))) == [
        ["名称", "金额"],
        ["'=1+1", "'-5"],
    ]


@pytest.mark.parametrize("kind", list(ImportKind))
def test_every_kind_has_a_workbook_template_with_notes_in_both_languages(kind: ImportKind) -> None:
    spec = KINDS[kind]
    languages: tuple[tuple[Locale, str], ...] = (("zh_CN", "chinese"), ("en", "name"))
    for locale, header in languages:
        made = template(spec, TemplateFormat.XLSX, locale, "CNY")
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(made.content))
        assert workbook.sheet_names[0] == kind.value
        headers = workbook.get_sheet_by_index(0).to_python()[0]
        assert headers == [getattr(column, header) for column in spec.columns]
        notes = workbook.get_sheet_by_index(1).to_python()
        assert len(notes) == len(spec.columns) + 1
    chinese_notes = template(spec, TemplateFormat.XLSX, "zh_CN", "CNY")
    rows = CalamineWorkbook.from_filelike(io.BytesIO(chinese_notes.content))
    assert rows.sheet_names[1] == "填写说明"


def test_the_csv_template_is_just_the_header() -> None:
    made = template(KINDS[ImportKind.PAYMENTS], TemplateFormat.CSV, "zh_CN", "CNY")
    assert made.media_type.startswith("text/csv")
    assert (
        made.content.decode("utf-8-sig")
        == "付款流水号,发票号,统一社会信用代码,付款日期,金额,币种,付款方式\r\n"
    )
