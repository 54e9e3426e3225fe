"""Open an uploaded file safely and stream its rows as string columns.

Nothing here trusts the file: its name must say .csv or .xlsx and its bytes must agree; CSV must
be text (no NUL bytes), have lines of sane length and be UTF-8 (with or without a BOM) or
GB18030 (which contains GBK and GB2312), checked while the file is hashed in one streaming pass;
an .xlsx must be a zip whose members stay within the unzipped-size limit and hold no formulas.
Polars reads only UTF-8, so GB18030 files are transcoded to a temporary UTF-8 copy first.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import os
import re
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from python_calamine import CalamineError, CalamineSheet, CalamineWorkbook

from fengkong.imports import problems
from fengkong.imports.problems import (
    ImportFileRejected,
    ImportFileTooLarge,
    UnsupportedImportFile,
    file_problem,
)
from fengkong.settings import Settings

CHUNK_BYTES = 1024 * 1024
BATCH_ROWS = 100_000
ROW_COLUMN = "__row"
"""The spreadsheet row number of each record (the header is row 1)."""
MAX_ZIP_MEMBERS = 10_000
_FORMULA = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s>/]")
_EXCEL_EPOCH = date(1899, 12, 30)
_LAST_EXCEL_SERIAL = 2_958_465  # 9999-12-31


class FileFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


@dataclass(frozen=True, slots=True)
class ImportLimits:
    max_bytes: int
    max_rows: int
    max_line_bytes: int
    max_unzipped_bytes: int

    @classmethod
    def from_settings(cls, settings: Settings) -> ImportLimits:
        return cls(
            max_bytes=settings.import_max_bytes,
            max_rows=settings.import_max_rows,
            max_line_bytes=settings.import_max_line_bytes,
            max_unzipped_bytes=settings.import_max_unzipped_bytes,
        )


@dataclass(frozen=True, slots=True)
class SourceFile:
    path: Path
    """What to parse: the upload itself, or its UTF-8 transcoding."""
    format: FileFormat
    encoding: str | None
    """``utf-8``, ``utf-8-sig`` (with a BOM) or ``gb18030``; ``None`` for a workbook."""
    sha256: str
    size: int
    sheets: list[CalamineSheet] = field(default_factory=list, compare=False, repr=False)
    """A workbook's first sheet once loaded (header and rows are read from one load)."""


@contextmanager
def opened(path: Path, file_name: str, limits: ImportLimits) -> Iterator[SourceFile]:
    """Check and fingerprint ``path`` (uploaded as ``file_name``); temporary files made on the
    way are removed when the block ends."""
    size = path.stat().st_size
    if size > limits.max_bytes:
        raise ImportFileTooLarge(file_problem(problems.FILE_TOO_LARGE, limit=limits.max_bytes))
    file_format = _declared_format(file_name)
    with path.open("rb") as stream:
        head = stream.read(4)
    if size == 0:
        raise ImportFileRejected(file_problem(problems.EMPTY_FILE))
    is_zip = head == b"PK\x03\x04"
    if file_format is FileFormat.XLSX:
        if not is_zip:
            raise UnsupportedImportFile(file_problem(problems.NOT_XLSX, name=file_name))
        digest = _check_workbook(path, file_name, limits)
        yield SourceFile(path, FileFormat.XLSX, None, digest, size)
        return
    if is_zip:
        raise UnsupportedImportFile(file_problem(problems.NOT_CSV, name=file_name))
    digest, encoding = _check_text(path, limits)
    if encoding != "gb18030":
        yield SourceFile(path, FileFormat.CSV, encoding, digest, size)
        return
    transcoded = _transcode(path)
    try:
        yield SourceFile(transcoded, FileFormat.CSV, encoding, digest, size)
    finally:
        transcoded.unlink(missing_ok=True)


def _declared_format(file_name: str) -> FileFormat:
    suffix = Path(file_name).suffix.lower()
    if suffix == ".csv":
        return FileFormat.CSV
    if suffix == ".xlsx":
        return FileFormat.XLSX
    if suffix == ".xls":
        raise UnsupportedImportFile(file_problem(problems.OLD_EXCEL))
    raise UnsupportedImportFile(file_problem(problems.FILE_TYPE, name=file_name))


def _check_text(path: Path, limits: ImportLimits) -> tuple[str, str]:
    """Hash the file and find its encoding in one pass, refusing binary data and long lines."""
    digest = hashlib.sha256()
    utf8 = codecs.getincrementaldecoder("utf-8")("strict")
    is_utf8 = True
    lines = _LineLengths(limits.max_line_bytes)
    has_text = False
    with path.open("rb") as stream:
        chunk = stream.read(CHUNK_BYTES)
        if chunk.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise ImportFileRejected(file_problem(problems.UTF16_FILE))
        has_bom = chunk.startswith(codecs.BOM_UTF8)
        skip = len(codecs.BOM_UTF8) if has_bom else 0
        while chunk:
            digest.update(chunk)
            body, skip = chunk[skip:], 0
            if b"\0" in body:
                raise ImportFileRejected(file_problem(problems.BINARY_FILE))
            lines.feed(body)
            has_text = has_text or bool(body.strip())
            if is_utf8:
                try:
                    utf8.decode(body)
                except UnicodeDecodeError:
                    is_utf8 = False
            chunk = stream.read(CHUNK_BYTES)
    lines.finish()
    if not has_text:
        raise ImportFileRejected(file_problem(problems.EMPTY_FILE))
    if is_utf8:
        try:
            utf8.decode(b"", final=True)
        except UnicodeDecodeError:
            is_utf8 = False
    if is_utf8:
        return digest.hexdigest(), "utf-8-sig" if has_bom else "utf-8"
    if has_bom:  # a BOM says UTF-8; bytes that are not are damage, not another encoding
        raise ImportFileRejected(file_problem(problems.UNKNOWN_ENCODING))
    return digest.hexdigest(), "gb18030"


class _LineLengths:
    """Finds the first physical line longer than the limit, across chunk boundaries."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.current = 0
        self.line = 1

    def feed(self, chunk: bytes) -> None:
        newlines = np.flatnonzero(np.frombuffer(chunk, dtype=np.uint8) == 10)
        if not len(newlines):
            self.current += len(chunk)
            self._check(self.current, self.line)
            return
        lengths = np.diff(newlines, prepend=-1) - 1
        lengths[0] += self.current
        too_long = np.flatnonzero(lengths > self.limit)
        if len(too_long):
            self._check(int(lengths[too_long[0]]), self.line + int(too_long[0]))
        self.line += len(newlines)
        self.current = len(chunk) - int(newlines[-1]) - 1

    def finish(self) -> None:
        self._check(self.current, self.line)

    def _check(self, length: int, line: int) -> None:
        if length > self.limit:
            raise ImportFileRejected(
                file_problem(problems.LINE_TOO_LONG, line=line, limit=self.limit)
            )


def _transcode(path: Path) -> Path:
    """A UTF-8 copy of a GB18030 file, for polars; decoding errors mean it is neither."""
    decoder = codecs.getincrementaldecoder("gb18030")("strict")
    handle, name = tempfile.mkstemp(prefix="fengkong-import-", suffix=".csv")
    target = Path(name)
    try:
        with os.fdopen(handle, "wb") as out, path.open("rb") as stream:
            while chunk := stream.read(CHUNK_BYTES):
                out.write(decoder.decode(chunk).encode("utf-8"))
            out.write(decoder.decode(b"", final=True).encode("utf-8"))
    except UnicodeDecodeError as exc:
        target.unlink(missing_ok=True)
        raise ImportFileRejected(file_problem(problems.UNKNOWN_ENCODING)) from exc
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return target


def _check_workbook(path: Path, file_name: str, limits: ImportLimits) -> str:
    """Refuse zip bombs, encrypted or broken workbooks and formulas; return the file's hash.

    Every member is decompressed once (zipfile stops at the declared size and checks the CRC),
    so sizes that lie are caught too; worksheets are searched for ``<f>`` elements on the way.
    """
    not_xlsx = file_problem(problems.NOT_XLSX, name=file_name)
    try:
        with zipfile.ZipFile(path) as workbook:
            members = workbook.infolist()
            names = {member.filename for member in members}
            if (
                len(members) > MAX_ZIP_MEMBERS
                or not {
                    "[Content_Types].xml",
                    "xl/workbook.xml",
                }
                <= names
            ):
                raise UnsupportedImportFile(not_xlsx)
            if sum(member.file_size for member in members) > limits.max_unzipped_bytes:
                raise ImportFileTooLarge(
                    file_problem(problems.XLSX_TOO_BIG, limit=limits.max_unzipped_bytes)
                )
            for member in members:
                if member.flag_bits & 0x1:  # encrypted
                    raise UnsupportedImportFile(not_xlsx)
                _scan_member(workbook, member)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError) as exc:
        raise UnsupportedImportFile(not_xlsx) from exc
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def _scan_member(workbook: zipfile.ZipFile, member: zipfile.ZipInfo) -> None:
    is_sheet = member.filename.startswith("xl/worksheets/") and member.filename.endswith(".xml")
    tail = b""
    with workbook.open(member) as stream:
        while chunk := stream.read(CHUNK_BYTES):
            if is_sheet and _FORMULA.search(tail + chunk):
                raise ImportFileRejected(
                    file_problem(problems.XLSX_FORMULAS, sheet=Path(member.filename).stem)
                )
            tail = chunk[-64:]


def read_header(source: SourceFile) -> list[str]:
    """The first row's cells (for a workbook, the first row that has any)."""
    if source.format is FileFormat.XLSX:
        for _number, cells in _sheet_rows(source):
            return [text or "" for text in cells]
        raise ImportFileRejected(file_problem(problems.EMPTY_FILE))
    with source.path.open(encoding="utf-8-sig", newline="") as text:
        try:
            return next(csv.reader(text))
        except csv.Error as exc:
            raise ImportFileRejected(file_problem(problems.UNREADABLE, detail=str(exc))) from exc
        except StopIteration as exc:
            raise ImportFileRejected(file_problem(problems.EMPTY_FILE)) from exc


def read_batches(
    source: SourceFile, names: Sequence[str], *, date_columns: frozenset[str] = frozenset()
) -> Iterator[pl.DataFrame]:
    """Records in batches of string columns named ``names`` (one per column of the file), plus
    ``ROW_COLUMN``. Workbook cells in ``date_columns`` that hold Excel day numbers become dates."""
    if source.format is FileFormat.XLSX:
        yield from _workbook_batches(source, names, date_columns)
    else:
        yield from _csv_batches(source, names)


def _csv_batches(source: SourceFile, names: Sequence[str]) -> Iterator[pl.DataFrame]:
    scan = pl.scan_csv(source.path, has_header=True, new_columns=list(names), infer_schema=False)
    next_row = 2
    batches = scan.collect_batches(chunk_size=BATCH_ROWS)
    try:
        for batch in batches:
            yield batch.with_row_index(ROW_COLUMN, offset=next_row).with_columns(
                pl.col(ROW_COLUMN).cast(pl.Int64)
            )
            next_row += batch.height
    except pl.exceptions.ComputeError as exc:
        ragged = _first_ragged_row(source.path, len(names))
        if ragged is not None:
            raise ImportFileRejected(file_problem(problems.RAGGED_ROW, row=ragged)) from exc
        detail = str(exc).strip().splitlines()[0]
        raise ImportFileRejected(file_problem(problems.UNREADABLE, detail=detail)) from exc


def _first_ragged_row(path: Path, width: int) -> int | None:
    """Where polars stopped: the first record with more cells than the header (slow path)."""
    with path.open(encoding="utf-8-sig", newline="") as text, suppress(csv.Error):
        for number, record in enumerate(csv.reader(text), start=1):
            if len(record) > width:
                return number
    return None


def _sheet_rows(source: SourceFile) -> Iterator[tuple[int, list[str | None]]]:
    """Non-empty rows of the first worksheet, with their row numbers, as text cells."""
    if not source.sheets:
        try:
            workbook = CalamineWorkbook.from_path(str(source.path))
            if not workbook.sheet_names:
                raise ImportFileRejected(file_problem(problems.NO_SHEET))
            source.sheets.append(workbook.get_sheet_by_index(0))
        except CalamineError as exc:
            raise UnsupportedImportFile(
                file_problem(problems.NOT_XLSX, name=source.path.name)
            ) from exc
    for index, cells in enumerate(source.sheets[0].iter_rows()):
        texts = [_cell_text(cell) for cell in cells]
        if any(text is not None for text in texts):
            yield index + 1, texts


def _workbook_batches(
    source: SourceFile, names: Sequence[str], date_columns: frozenset[str]
) -> Iterator[pl.DataFrame]:
    dated = [position for position, name in enumerate(names) if name in date_columns]
    rows = _sheet_rows(source)
    next(rows, None)  # the header
    numbers: list[int] = []
    records: list[list[str | None]] = []
    for number, cells in rows:
        if len(cells) > len(names) and any(cell is not None for cell in cells[len(names) :]):
            raise ImportFileRejected(file_problem(problems.RAGGED_ROW, row=number))
        record = (cells + [None] * len(names))[: len(names)]
        for position in dated:
            record[position] = _excel_day(record[position])
        numbers.append(number)
        records.append(record)
        if len(records) == BATCH_ROWS:
            yield _frame(names, numbers, records)
            numbers, records = [], []
    if records:
        yield _frame(names, numbers, records)


def _frame(
    names: Sequence[str], numbers: list[int], records: list[list[str | None]]
) -> pl.DataFrame:
    columns = {name: [record[i] for record in records] for i, name in enumerate(names)}
    frame = pl.DataFrame(columns, schema=dict.fromkeys(names, pl.String))
    return frame.with_columns(pl.Series(ROW_COLUMN, numbers, dtype=pl.Int64))


def _cell_text(value: Any) -> str | None:
    """A workbook cell as the text a CSV export would hold (numbers without a spurious .0)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _excel_day(text: str | None) -> str | None:
    """A cell of a date column holding Excel's day number (a date typed without a date format)."""
    if text is None or not text.isdigit() or not 0 < int(text) <= _LAST_EXCEL_SERIAL:
        return text
    return (_EXCEL_EPOCH + timedelta(days=int(text))).isoformat()
