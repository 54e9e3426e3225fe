"""What the API says about an import: the file, how its header was understood, the row counts and
every problem (up to the cap), with messages in the reader's language."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from fengkong.imports.kinds import ImportKind
from fengkong.imports.models import ImportRun, ImportStatus
from fengkong.imports.problems import RowError
from fengkong.imports.service import ImportResult, describe
from fengkong.imports.validation import MappedColumn
from fengkong.kit.schemas import OutputModel, PageOut
from fengkong.settings import Locale


class ImportErrorOut(OutputModel):
    row: int | None
    column: str | None
    value: str | None
    code: str
    message: str

    @classmethod
    def many(cls, errors: Iterable[RowError], locale: Locale) -> list[ImportErrorOut]:
        return [cls(**error.as_dict(locale)) for error in errors]


class ImportColumnOut(OutputModel):
    position: int
    header: str
    column: str | None
    """The column it fills; ``null`` when the import does not take it."""
    required: bool

    @classmethod
    def of(cls, mapped: MappedColumn) -> ImportColumnOut:
        return cls(
            position=mapped.position,
            header=mapped.header,
            column=mapped.column.name if mapped.column else None,
            required=bool(mapped.column and mapped.column.required),
        )


class ImportFileOut(OutputModel):
    name: str
    sha256: str
    bytes: int
    format: str | None = None
    encoding: str | None = None


class ImportRowsOut(OutputModel):
    total: int
    inserted: int
    updated: int
    unchanged: int
    rejected: int


def rejects_url(run_id: int | None, rejected: int) -> str | None:
    return f"/api/v1/imports/{run_id}/rejects.csv" if run_id and rejected else None


class ImportResultOut(OutputModel):
    run_id: int | None
    status: ImportStatus | None
    kind: ImportKind
    dry_run: bool
    partial: bool
    already_imported: bool
    message: str
    """What the import did, in a sentence."""
    file: ImportFileOut
    columns: list[ImportColumnOut]
    rows: ImportRowsOut
    errors: list[ImportErrorOut]
    error_count: int
    rejects_url: str | None

    @classmethod
    def of(cls, result: ImportResult, locale: Locale) -> ImportResultOut:
        return cls(
            run_id=result.run_id,
            status=result.status,
            kind=result.kind,
            dry_run=result.dry_run,
            partial=result.partial,
            already_imported=result.already_imported,
            message=describe(result).render(locale),
            file=ImportFileOut(
                name=result.file_name,
                sha256=result.file_sha256,
                bytes=result.file_bytes,
                format=result.file_format.value,
                encoding=result.encoding,
            ),
            columns=[ImportColumnOut.of(mapped) for mapped in result.columns],
            rows=ImportRowsOut(
                total=result.rows_total,
                inserted=result.inserted,
                updated=result.updated,
                unchanged=result.unchanged,
                rejected=result.rejected,
            ),
            errors=ImportErrorOut.many(result.errors, locale),
            error_count=result.error_count,
            rejects_url=None if result.dry_run else rejects_url(result.run_id, result.rejected),
        )


class ImportRunSummaryOut(OutputModel):
    id: int
    kind: ImportKind
    status: ImportStatus
    partial: bool
    file: ImportFileOut
    actor_username: str
    started_at: datetime
    finished_at: datetime | None
    rows: ImportRowsOut
    error_count: int
    rejects_url: str | None

    @classmethod
    def fields_of(cls, run: ImportRun) -> dict[str, object]:
        return {
            "id": run.id,
            "kind": ImportKind(run.kind),
            "status": run.status,
            "partial": run.partial,
            "file": ImportFileOut(name=run.file_name, sha256=run.file_sha256, bytes=run.file_bytes),
            "actor_username": run.actor_username,
            "started_at": run.started_at,
            "finished_at": run.finished_at,
            "rows": ImportRowsOut(
                total=run.rows_total,
                inserted=run.rows_inserted,
                updated=run.rows_updated,
                unchanged=run.rows_unchanged,
                rejected=run.rows_rejected,
            ),
            "error_count": run.error_count,
            "rejects_url": rejects_url(run.id, run.rows_rejected),
        }

    @classmethod
    def of(cls, run: ImportRun) -> ImportRunSummaryOut:
        return cls.model_validate(cls.fields_of(run))


class ImportRunOut(ImportRunSummaryOut):
    errors: list[ImportErrorOut]

    @classmethod
    def with_errors(cls, run: ImportRun, errors: list[RowError], locale: Locale) -> ImportRunOut:
        return cls.model_validate(
            cls.fields_of(run) | {"errors": ImportErrorOut.many(errors, locale)}
        )


class ImportRunPage(PageOut):
    items: list[ImportRunSummaryOut]
