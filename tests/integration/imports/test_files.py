"""The same records in every encoding and in a workbook; hostile files change nothing."""

from __future__ import annotations

import zipfile
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from fengkong import tables
from fengkong.imports import problems
from fengkong.imports.kinds import ImportKind
from fengkong.imports.problems import ImportFailed, Problem
from tests import factories
from tests.integration.imports.conftest import Importer, Snapshot
from tests.integration.imports.files import uscc, write_xlsx

CUSTOMERS = ["统一社会信用代码", "客户名称", "行业", "地区", "注册资本", "成立日期", "法定代表人"]


def _customers() -> list[list[str | None]]:
    return [
        [
            uscc(5001),
            "广州市荔湾五金贸易有限公司",
            "F51",
            "440100",
            "3,000,000.00",
            "2012-08-08",
            "陈大文",
        ],
        [uscc(5002), "杭州西湖茶业有限公司", "A01", "330100", "500000", "2019-01-31", "王小明"],
    ]


def _stored(session: Session) -> list[tuple[object, ...]]:
    rows = session.execute(
        select(
            tables.Customer.uscc,
            tables.Customer.name,
            tables.Customer.industry_code,
            tables.Customer.region_code,
            tables.Customer.registered_capital_minor,
            tables.Customer.established_on,
            tables.Customer.legal_representative,
        )
        .where(tables.Customer.uscc.in_([uscc(5001), uscc(5002)]))
        .order_by(tables.Customer.uscc)
    ).all()
    return [tuple(row) for row in rows]


EXPECTED = [
    (
        uscc(5001),
        "广州市荔湾五金贸易有限公司",
        "F51",
        "440100",
        300_000_000,
        date(2012, 8, 8),
        "陈大文",
    ),
    (uscc(5002), "杭州西湖茶业有限公司", "A01", "330100", 50_000_000, date(2019, 1, 31), "王小明"),
]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk"])
def test_chinese_csv_in_any_of_the_encodings_people_save_imports_the_same(
    importer: Importer, session: Session, encoding: str
) -> None:
    result = importer(ImportKind.CUSTOMERS, CUSTOMERS, _customers(), encoding=encoding)
    assert result.encoding == ("gb18030" if encoding == "gbk" else encoding)
    assert result.inserted == 2
    assert _stored(session) == EXPECTED


def test_a_workbook_with_typed_cells_imports_the_same(
    importer: Importer, session: Session, tmp_path: Path
) -> None:
    rows: list[list[str | int | float | date | None]] = [
        [
            uscc(5001),
            "广州市荔湾五金贸易有限公司",
            "F51",
            440100,
            3000000.0,
            date(2012, 8, 8),
            "陈大文",
        ],
        [uscc(5002), "杭州西湖茶业有限公司", "A01", "330100", 500000, date(2019, 1, 31), "王小明"],
    ]
    path = write_xlsx(tmp_path / "客户.xlsx", CUSTOMERS, rows)
    result = importer.path(ImportKind.CUSTOMERS, path)
    assert (result.file_format.value, result.encoding, result.inserted) == ("xlsx", None, 2)
    assert _stored(session) == EXPECTED


def test_a_workbook_with_problems_reports_the_rows_excel_shows(
    importer: Importer, tmp_path: Path
) -> None:
    customer = factories.customer()
    path = write_xlsx(
        tmp_path / "invoices.xlsx",
        ["invoice_number", "customer_uscc", "issue_date", "due_date", "amount"],
        [
            ["INV-1", customer.uscc, date(2026, 1, 5), date(2026, 2, 5), 100],
            ["INV-2", customer.uscc, date(2026, 1, 5), date(2026, 2, 5), 0.005],
            ["=1+1", customer.uscc, date(2026, 1, 5), date(2026, 2, 5), 1],
        ],
    )
    with pytest.raises(ImportFailed) as caught:
        importer.path(ImportKind.INVOICES, path)
    assert [(error.row, error.column, error.code) for error in caught.value.errors] == [
        (3, "amount", "decimals"),
        (4, "invoice_number", "formula"),
    ]


def _write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


def _zip_bomb(path: Path) -> Path:
    write_xlsx(path, CUSTOMERS, _customers())
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/image1.bin", b"\0" * (2 * UNZIPPED_LIMIT))
    return path


UNZIPPED_LIMIT = 1024 * 1024
HOSTILE: list[tuple[str, str, Problem]] = [
    ("empty.csv", "empty", problems.EMPTY_FILE),
    ("header-only.csv", "header", problems.NO_ROWS),
    ("garbage.csv", "garbage", problems.BINARY_FILE),
    ("customers.pdf", "wrong-extension", problems.FILE_TYPE),
    ("customers.csv", "unknown-columns", problems.REJECTED),
    ("long.csv", "long-line", problems.LINE_TOO_LONG),
    ("formulas.xlsx", "formulas", problems.XLSX_FORMULAS),
    ("bomb.xlsx", "zip-bomb", problems.XLSX_TOO_BIG),
]


def _hostile(directory: Path, name: str, what: str) -> Path:
    path = directory / name
    if what == "empty":
        return _write(path, b"")
    if what == "header":
        return _write(path, ",".join(CUSTOMERS).encode() + b"\r\n")
    if what == "garbage":
        return _write(path, bytes(range(256)) * 1000)
    if what == "wrong-extension":
        return _write(path, ",".join(CUSTOMERS).encode())
    if what == "unknown-columns":
        return _write(path, "统一社会信用代码,客户名称,备注栏\n91,甲,乙\n".encode())
    if what == "long-line":
        return _write(
            path, ",".join(CUSTOMERS).encode() + b"\n" + b"9" * (10 * 1024 * 1024) + b"\n"
        )
    if what == "formulas":
        return write_xlsx(path, CUSTOMERS, _customers(), formula=(1, 4, "=2*1500000"))
    return _zip_bomb(path)


@pytest.mark.parametrize(("name", "what", "problem"), HOSTILE, ids=[case[1] for case in HOSTILE])
def test_hostile_files_get_a_clear_error_and_change_nothing(
    importer: Importer, session: Session, tmp_path: Path, name: str, what: str, problem: Problem
) -> None:
    importer.settings = importer.settings.model_copy(
        update={"import_max_unzipped_bytes": UNZIPPED_LIMIT}
    )
    before = Snapshot.of(session)
    with pytest.raises(ImportFailed) as caught:
        importer.path(ImportKind.CUSTOMERS, _hostile(tmp_path, name, what))
    assert caught.value.text.msgid == problem.msgid
    assert caught.value.localised("zh_CN").message != caught.value.message, "said in Chinese too"
    assert Snapshot.of(session) == before
