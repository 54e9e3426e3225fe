"""Opening files: encodings, fingerprints, row numbers, and every kind of file we refuse."""

from __future__ import annotations

import hashlib
import zipfile
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from fengkong.imports import problems, reading
from fengkong.imports.problems import (
    ImportFailed,
    ImportFileRejected,
    ImportFileTooLarge,
    UnsupportedImportFile,
)
from fengkong.imports.reading import ROW_COLUMN, FileFormat, ImportLimits
from tests.integration.imports.files import write_csv, write_xlsx

LIMITS = ImportLimits(
    max_bytes=50 * 1024 * 1024,
    max_rows=1000,
    max_line_bytes=1024 * 1024,
    max_unzipped_bytes=10 * 1024 * 1024,
)
HEADER = ["客户名称", "地址"]
ROWS = [["上海测试贸易有限公司", "浦东新区"], ["深圳示例科技有限公司", "南山区"]]


def _rows(
    path: Path, file_name: str | None = None
) -> tuple[reading.SourceFile, list[dict[str, object]]]:
    with reading.opened(path, file_name or path.name, LIMITS) as source:
        header = reading.read_header(source)
        batches = list(reading.read_batches(source, ["a", "b"][: len(header)]))
        return source, pl.concat(batches).to_dicts()


def _refusal(
    path: Path, file_name: str | None = None, limits: ImportLimits = LIMITS
) -> ImportFailed:
    with (
        pytest.raises(ImportFailed) as caught,
        reading.opened(path, file_name or path.name, limits),
    ):
        pass
    return caught.value


@pytest.mark.parametrize(
    ("encoding", "detected"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gb18030", "gb18030"), ("gbk", "gb18030")],
)
def test_chinese_text_reads_the_same_in_every_encoding_people_save_csv_in(
    tmp_path: Path, encoding: str, detected: str
) -> None:
    path = write_csv(tmp_path / "customers.csv", HEADER, ROWS, encoding=encoding)
    source, rows = _rows(path)
    assert source.encoding == detected
    assert source.format is FileFormat.CSV
    assert rows == [
        {"a": "上海测试贸易有限公司", "b": "浦东新区", ROW_COLUMN: 2},
        {"a": "深圳示例科技有限公司", "b": "南山区", ROW_COLUMN: 3},
    ]


def test_the_fingerprint_is_the_sha256_of_the_bytes_as_uploaded(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "customers.csv", HEADER, ROWS, encoding="gbk")
    with reading.opened(path, path.name, LIMITS) as source:
        assert source.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
        assert source.size == path.stat().st_size
        transcoded = source.path
        assert transcoded != path
    assert not transcoded.exists(), "the UTF-8 copy of a GBK file is removed afterwards"


def test_row_numbers_are_the_spreadsheets_even_across_blank_lines_and_multi_line_cells(
    tmp_path: Path,
) -> None:
    path = tmp_path / "rows.csv"
    path.write_text('a,b\n1,"two\nlines"\n\n4,5\n', encoding="utf-8")
    _, rows = _rows(path)
    assert [(row["a"], row[ROW_COLUMN]) for row in rows] == [("1", 2), (None, 3), ("4", 4)]


def test_a_workbook_is_read_from_its_first_sheet_with_cells_as_text(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "invoices.xlsx",
        ["invoice_number", "amount", "issue_date", "terms"],
        [["INV-1", 1234.5, date(2026, 1, 5), 30], ["00042", 10, None, 0.1]],
    )
    with reading.opened(path, path.name, LIMITS) as source:
        assert source.format is FileFormat.XLSX
        assert source.encoding is None
        assert reading.read_header(source) == ["invoice_number", "amount", "issue_date", "terms"]
        rows = pl.concat(list(reading.read_batches(source, ["n", "a", "d", "t"]))).to_dicts()
    assert rows == [
        {"n": "INV-1", "a": "1234.5", "d": "2026-01-05", "t": "30", ROW_COLUMN: 2},
        {"n": "00042", "a": "10", "d": None, "t": "0.1", ROW_COLUMN: 3},
    ]


def test_a_date_typed_into_a_workbook_without_a_date_format_is_still_a_date(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "days.xlsx", ["issue_date", "amount"], [[46027, 46027]])
    with reading.opened(path, path.name, LIMITS) as source:
        batch = next(reading.read_batches(source, ["d", "a"], date_columns=frozenset({"d"})))
    assert batch.row(0) == ("2026-01-05", "46027", 2)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", problems.EMPTY_FILE),
        (b"\xef\xbb\xbf \r\n\r\n", problems.EMPTY_FILE),
        (b"name,address\n\x00\x01\x02garbage\n", problems.BINARY_FILE),
        ("客户名称\n上海".encode("utf-16"), problems.UTF16_FILE),
        (b"name\ncaf\xe9,\x80\x80\n", problems.UNKNOWN_ENCODING),
        (b"\xef\xbb\xbfname\ncaf\xe9\n", problems.UNKNOWN_ENCODING),
    ],
    ids=["empty", "only-a-bom", "binary", "utf-16", "latin-1", "bom-but-not-utf-8"],
)
def test_files_that_are_not_csv_text_are_refused_with_the_reason(
    tmp_path: Path, content: bytes, problem: problems.Problem
) -> None:
    path = tmp_path / "upload.csv"
    path.write_bytes(content)
    refusal = _refusal(path)
    assert isinstance(refusal, ImportFileRejected)
    assert refusal.text.msgid == problem.msgid


def test_binary_garbage_is_refused_even_when_it_happens_to_have_no_nul_byte(tmp_path: Path) -> None:
    path = tmp_path / "random.csv"
    path.write_bytes(bytes(range(0x80, 0x100)) * 64)
    assert _refusal(path).text.msgid == problems.UNKNOWN_ENCODING.msgid


@pytest.mark.parametrize(
    ("file_name", "problem"),
    [
        ("invoices.txt", problems.FILE_TYPE),
        ("invoices", problems.FILE_TYPE),
        ("invoices.xls", problems.OLD_EXCEL),
        ("invoices.pdf", problems.FILE_TYPE),
    ],
)
def test_only_csv_and_xlsx_names_are_accepted(
    tmp_path: Path, file_name: str, problem: problems.Problem
) -> None:
    path = write_csv(tmp_path / "upload", HEADER, ROWS)
    refusal = _refusal(path, file_name)
    assert isinstance(refusal, UnsupportedImportFile)
    assert refusal.status_code == 415
    assert refusal.text.msgid == problem.msgid


def test_the_name_is_not_trusted_over_the_content(tmp_path: Path) -> None:
    workbook = write_xlsx(tmp_path / "book.xlsx", HEADER, ROWS)
    text = write_csv(tmp_path / "text.csv", HEADER, ROWS)
    assert _refusal(workbook, "renamed.csv").text.msgid == problems.NOT_CSV.msgid
    assert _refusal(text, "renamed.xlsx").text.msgid == problems.NOT_XLSX.msgid


def test_a_zip_that_is_not_a_workbook_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "archive.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    assert _refusal(path).text.msgid == problems.NOT_XLSX.msgid


def test_a_truncated_workbook_is_refused(tmp_path: Path) -> None:
    whole = write_xlsx(tmp_path / "whole.xlsx", HEADER, ROWS).read_bytes()
    path = tmp_path / "cut.xlsx"
    path.write_bytes(whole[: len(whole) // 2])
    assert _refusal(path).text.msgid == problems.NOT_XLSX.msgid


def test_a_zip_bomb_is_refused_before_anything_is_unpacked(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "book.xlsx", HEADER, ROWS)
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/zeros.bin", b"\0" * (11 * 1024 * 1024))
    assert path.stat().st_size < 100 * 1024
    refusal = _refusal(path)
    assert isinstance(refusal, ImportFileTooLarge)
    assert refusal.text.msgid == problems.XLSX_TOO_BIG.msgid


def test_a_workbook_with_formulas_is_refused(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "book.xlsx", HEADER, ROWS, formula=(2, 1, "=1+1"))
    refusal = _refusal(path)
    assert refusal.text.msgid == problems.XLSX_FORMULAS.msgid
    assert refusal.text.params == {"sheet": "sheet1"}


def test_a_file_over_the_size_limit_is_refused_without_reading_it(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "big.csv", HEADER, ROWS * 100)
    small = ImportLimits(max_bytes=1024, max_rows=10, max_line_bytes=1024, max_unzipped_bytes=1024)
    refusal = _refusal(path, limits=small)
    assert isinstance(refusal, ImportFileTooLarge)
    assert refusal.status_code == 413


def test_a_ten_megabyte_line_is_refused_with_its_line_number(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    with path.open("wb") as out:
        out.write(b"name,address\nshort,line\n")
        out.write(b"x" * (10 * 1024 * 1024))
        out.write(b"\n")
    refusal = _refusal(path)
    assert refusal.text.msgid == problems.LINE_TOO_LONG.msgid
    assert refusal.text.params["line"] == 3


def test_line_lengths_are_measured_across_chunk_boundaries() -> None:
    lengths = reading._LineLengths(limit=10)
    lengths.feed(b"123456\n1234")
    lengths.feed(b"567890")
    with pytest.raises(ImportFileRejected) as caught:
        lengths.feed(b"1\nshort\n")
    assert caught.value.text.params["line"] == 2


def test_a_row_with_more_cells_than_the_header_is_refused_with_its_row(tmp_path: Path) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text("a,b\n1,2\n3,4,5\n", encoding="utf-8")
    with pytest.raises(ImportFileRejected) as caught:
        _rows(path)
    assert caught.value.text.msgid == problems.RAGGED_ROW.msgid
    assert caught.value.text.params == {"row": 3}
