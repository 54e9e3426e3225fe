"""All or nothing by default; partial imports write the valid rows and return the rest; a dry run
writes nothing; the run record says who imported what, when, and with what result."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from fengkong import tables
from fengkong.imports import reading
from fengkong.imports.kinds import ImportKind
from fengkong.imports.models import ImportStatus
from fengkong.imports.problems import ImportFileTooLarge, ImportRejected
from fengkong.imports.service import MAX_ERRORS
from tests import factories
from tests.integration.imports.conftest import Importer, Snapshot
from tests.integration.imports.files import uscc

INVOICE = ["发票号", "统一社会信用代码", "开票日期", "到期日", "金额", "币种"]


def _rows(customer_uscc: str) -> list[list[str | None]]:
    return [
        ["INV-1", customer_uscc, "2026-01-05", "2026-02-05", "100.00", "CNY"],
        ["INV-2", customer_uscc, "2026-01-05", "2025-12-31", "100.00", "CNY"],
        ["INV-3", uscc(31337), "2026-01-05", "2026-02-05", "100.00", "CNY"],
        ["=cmd|' /C calc'!A0", customer_uscc, "2026-01-05", "2026-02-05", "-5", "CNY"],
        ["INV-1", customer_uscc, "2026-01-06", "2026-02-06", "200.00", "CNY"],
        ["INV-6", customer_uscc, "2026-01-05", "2026-02-05", "300.00", "CNY"],
    ]


def test_one_problem_rejects_the_whole_file_listing_every_problem(
    importer: Importer, session: Session
) -> None:
    customer = factories.customer()
    before = Snapshot.of(session)
    refusal = importer.refused(ImportKind.INVOICES, INVOICE, _rows(customer.uscc))
    assert isinstance(refusal, ImportRejected)
    assert refusal.status_code == 422
    assert [(error.row, error.column, error.code) for error in refusal.errors] == [
        (3, "到期日", "due_before_issue"),
        (4, "统一社会信用代码", "unknown_customer"),
        (5, "发票号", "formula"),
        (5, "金额", "not_positive"),
        (6, "发票号", "duplicate_row"),
    ]
    assert refusal.count == 5
    assert refusal.localised("zh_CN").message == "在 upload.csv 中发现 5 个问题，未导入任何数据。"
    details = refusal.localised("zh_CN").details
    assert details[0] == {
        "row": 3,
        "column": "到期日",
        "value": "2025-12-31",
        "code": "due_before_issue",
        "message": "到期日早于开票日期（2025-12-31 < 2026-01-05）。",
    }
    assert Snapshot.of(session) == before, "nothing written, not even an import run"


def test_a_partial_import_writes_the_valid_rows_and_returns_the_rest_with_reasons(
    importer: Importer, session: Session
) -> None:
    customer = factories.customer()
    result = importer(
        ImportKind.INVOICES, INVOICE, _rows(customer.uscc), partial=True, locale="zh_CN"
    )
    assert result.status is ImportStatus.PARTIAL
    assert (result.rows_total, result.inserted, result.rejected) == (6, 2, 4)
    stored = session.scalars(
        select(tables.Invoice.invoice_number).where(tables.Invoice.source == "import")
    ).all()
    assert sorted(stored) == ["INV-1", "INV-6"]
    assert result.rejects_file is not None
    with result.rejects_file.open(encoding="utf-8", newline="") as text:
        assert text.read(1) == "\ufeff", "a BOM, so Excel shows the Chinese"
        records = list(csv.reader(text))
    assert records[0] == [*INVOICE, "文件行号", "拒绝原因"]
    assert [record[6] for record in records[1:]] == ["3", "4", "5", "6"]
    assert records[3][0] == "'=cmd|' /C calc'!A0", "a formula is defused"
    assert records[3][4] == "'-5"
    assert "到期日早于开票日期" in records[1][7]
    run = session.get(tables.ImportRun, result.run_id)
    assert run is not None
    assert (run.status, run.rows_inserted, run.rows_rejected, run.error_count) == (
        ImportStatus.PARTIAL,
        2,
        4,
        5,
    )


def test_a_corrected_rejects_file_imports_as_it_is(importer: Importer, session: Session) -> None:
    customer = factories.customer()
    first = importer(ImportKind.INVOICES, INVOICE, _rows(customer.uscc), partial=True)
    assert first.rejects_file is not None
    with first.rejects_file.open(encoding="utf-8-sig", newline="") as text:
        records = list(csv.reader(text))
    fixed = [
        [record[0].lstrip("'=").split("|")[0] or "INV-4", *record[1:4], "150", *record[5:]]
        for record in records[1:]
    ]
    fixed[0][3] = "2026-02-28"
    fixed[1][1] = customer.uscc
    fixed[3][0] = "INV-5"
    again = importer(ImportKind.INVOICES, records[0], fixed, name="fixed.csv")
    assert (again.inserted, again.rejected) == (4, 0), again.errors


def test_a_partial_import_of_nothing_but_problems_is_recorded_as_rejected(
    importer: Importer, session: Session
) -> None:
    result = importer(
        ImportKind.INVOICES,
        INVOICE,
        [["INV-1", uscc(1), "2026-01-05", "2026-02-05", "100.00", "CNY"]],
        partial=True,
    )
    assert (result.status, result.inserted, result.rejected) == (ImportStatus.REJECTED, 0, 1)


def test_a_dry_run_reports_the_mapping_counts_and_problems_and_writes_nothing(
    importer: Importer, session: Session
) -> None:
    customer = factories.customer()
    factories.invoice(customer_id=customer.id, invoice_number="INV-6")
    before = Snapshot.of(session)
    result = importer(
        ImportKind.INVOICES, INVOICE, _rows(customer.uscc), dry_run=True, encoding="gbk"
    )
    assert Snapshot.of(session) == before
    assert result.encoding == "gb18030"
    assert [
        (mapped.header, mapped.column.name if mapped.column else None) for mapped in result.columns
    ] == [
        ("发票号", "invoice_number"),
        ("统一社会信用代码", "customer_uscc"),
        ("开票日期", "issue_date"),
        ("到期日", "due_date"),
        ("金额", "amount"),
        ("币种", "currency"),
    ]
    assert (result.inserted, result.updated, result.unchanged, result.rejected) == (1, 1, 0, 4)
    assert result.error_count == 5
    assert (result.run_id, result.rejects_file) == (None, None)


def test_a_dry_run_shows_header_problems_instead_of_raising(importer: Importer) -> None:
    result = importer(ImportKind.INVOICES, ["发票号", "colour"], [["INV-1", "red"]], dry_run=True)
    assert [error.code for error in result.errors] == [
        "unknown_column",
        "missing_column",
        "missing_column",
        "missing_column",
        "missing_column",
    ]


def test_header_problems_reject_an_import_before_any_row_is_read(importer: Importer) -> None:
    refusal = importer.refused(
        ImportKind.CUSTOMERS, ["uscc", "name", "colour"], [[uscc(1), "x", "red"]]
    )
    assert [(error.row, error.column, error.code) for error in refusal.errors] == [
        (1, "colour", "unknown_column")
    ]


def test_only_the_first_thousand_problems_are_kept_but_all_are_counted(
    importer: Importer, session: Session
) -> None:
    rows = [
        [f"INV-{n}", "bad", "2026-01-05", "2026-02-05", "1", "CNY"] for n in range(MAX_ERRORS + 5)
    ]
    refusal = importer.refused(ImportKind.INVOICES, INVOICE, rows)
    assert (len(refusal.errors), refusal.count) == (MAX_ERRORS, MAX_ERRORS + 5)
    result = importer(ImportKind.INVOICES, INVOICE, rows, partial=True, name="partial.csv")
    run = session.get(tables.ImportRun, result.run_id)
    assert run is not None
    assert (len(run.errors), run.error_count, run.rows_rejected) == (
        MAX_ERRORS,
        MAX_ERRORS + 5,
        MAX_ERRORS + 5,
    )


def test_more_rows_than_allowed_is_refused_as_too_large(
    importer: Importer, session: Session
) -> None:
    customer = factories.customer()
    importer.settings = importer.settings.model_copy(update={"import_max_rows": 3})
    rows = [[f"INV-{n}", customer.uscc, "2026-01-05", "2026-02-05", "1", "CNY"] for n in range(4)]
    with pytest.raises(ImportFileTooLarge) as caught:
        importer(ImportKind.INVOICES, INVOICE, rows)
    assert caught.value.status_code == 413


def test_a_file_is_read_in_batches_with_duplicates_found_across_them(
    importer: Importer, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reading, "BATCH_ROWS", 4)
    customer = factories.customer()
    rows = [[f"INV-{n}", customer.uscc, "2026-01-05", "2026-02-05", "1", "CNY"] for n in range(10)]
    rows.append(["INV-2", customer.uscc, "2026-01-05", "2026-02-05", "1", "CNY"])
    refusal = importer.refused(ImportKind.INVOICES, INVOICE, rows)
    assert [(error.row, error.code, error.detail) for error in refusal.errors] == [
        (12, "duplicate_row", "4")
    ]
    result = importer(ImportKind.INVOICES, INVOICE, rows[:10], name="ten.csv")
    assert result.inserted == 10


def test_the_import_run_records_who_when_which_file_and_what_happened(
    importer: Importer, session: Session, tmp_path: Path
) -> None:
    customer = factories.customer()
    path = importer.file(INVOICE, _rows(customer.uscc)[:1], name="一月发票.csv")
    result = importer.path(ImportKind.INVOICES, path)
    run = session.get(tables.ImportRun, result.run_id)
    assert run is not None
    assert (run.kind, run.file_name, run.file_bytes, run.actor_username, run.partial) == (
        "invoices",
        "一月发票.csv",
        path.stat().st_size,
        "test",
        False,
    )
    assert run.file_sha256 == result.file_sha256
    assert (run.status, run.rows_total, run.rows_inserted) == (ImportStatus.SUCCEEDED, 1, 1)
    assert run.finished_at is not None
    assert run.finished_at >= run.started_at
