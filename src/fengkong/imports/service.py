"""File import use cases. Callers own the transaction; nothing here commits.

An import reads the file once to fingerprint it and find its encoding, then streams it in
batches: each batch is checked column-wise and appended to a temporary staging table, so memory
stays flat however long the file. The database then checks what only it can (unknown customers,
overpaid invoices …) and — if nothing is wrong, or in partial mode for the rows that are right —
writes new and changed records set by set, with the import run, one audit entry and one outbox
event per customer touched, all in the caller's transaction. A problem in atomic mode raises
``ImportRejected`` with every problem found, so the caller rolls back and nothing is written.
"""

from __future__ import annotations

import uuid
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Select, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fengkong import recorders, tables
from fengkong.access import scope as access_scope
from fengkong.auth import service as auth_service
from fengkong.auth.actor import Actor
from fengkong.errors import Conflict, NotFound
from fengkong.i18n import N_, Message
from fengkong.imports import exports, problems, reading, staging, templates, validation, writing
from fengkong.imports.kinds import KINDS, ColumnType, ImportKind, Kind
from fengkong.imports.models import ImportRun, ImportStatus
from fengkong.imports.problems import (
    ImportFileRejected,
    ImportFileTooLarge,
    ImportRejected,
    RowError,
    file_problem,
)
from fengkong.imports.reading import FileFormat, ImportLimits, SourceFile
from fengkong.imports.templates import Template, TemplateFormat
from fengkong.imports.validation import HeaderMapping, MappedColumn
from fengkong.kit.pagination import Page, PageRequest, paginate
from fengkong.kit.time import business_today, utcnow
from fengkong.settings import Locale, Settings, get_settings

_RUNS = tables.metadata.tables[ImportRun.__tablename__]
STAGING_AHEAD = 2
"""Checked batches waiting to be written to the staging table at most (bounds the memory)."""
MAX_ERRORS = 1_000
"""Problems kept on an import run and returned to the caller; ``error_count`` has them all."""

ALREADY_IMPORTED = N_("%(name)s was already imported as run %(run)s; nothing was changed.")
IMPORTED = N_(
    "%(name)s: %(rows)s rows — %(inserted)s new, %(updated)s updated, %(unchanged)s unchanged, "
    "%(rejected)s rejected (import run %(run)s)."
)
PREVIEWED = N_(
    "Dry run of %(name)s: %(rows)s rows — %(inserted)s would be new, %(updated)s updated, "
    "%(unchanged)s unchanged, %(rejected)s rejected; nothing was written."
)


class ImportRunNotFound(NotFound):
    code = "import_run_not_found"


class ImportConflict(Conflict):
    code = "import_conflict"


@dataclass(frozen=True, slots=True)
class ImportResult:
    kind: ImportKind
    file_name: str
    file_sha256: str
    file_bytes: int
    file_format: FileFormat
    encoding: str | None
    columns: tuple[MappedColumn, ...]
    partial: bool
    dry_run: bool
    rows_total: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: tuple[RowError, ...] = ()
    error_count: int = 0
    run_id: int | None = None
    status: ImportStatus | None = None
    already_imported: bool = False
    """The same file was imported successfully before (``run_id`` names that run)."""
    rejects_file: Path | None = None


def import_file(
    session: Session,
    actor: Actor,
    *,
    kind: ImportKind | str,
    path: Path,
    file_name: str,
    partial: bool = False,
    dry_run: bool = False,
    locale: Locale | None = None,
    settings: Settings | None = None,
) -> ImportResult:
    """Import ``path`` (uploaded as ``file_name``) as records of ``kind``.

    Atomic by default: any problem raises ``ImportRejected`` listing them (the caller rolls
    back). ``partial`` writes the valid rows and leaves a rejects file; ``dry_run`` writes nothing
    and reports what would happen. ``locale`` is the language of the rejects file's reasons;
    ``settings`` (default: the process's) give the limits, the default currency and where
    rejects files are kept.
    """
    spec = KINDS[ImportKind(kind)]
    auth_service.ensure_permission(actor, spec.write_permission)
    settings = settings or get_settings()
    limits = ImportLimits.from_settings(settings)
    name = Path(file_name).name[:255] or "upload"
    with reading.opened(path, name, limits) as source:
        mapping = validation.map_header(
            spec, reading.read_header(source), exports.rejects_headers()
        )
        result = ImportResult(
            kind=spec.name,
            file_name=name,
            file_sha256=source.sha256,
            file_bytes=source.size,
            file_format=source.format,
            encoding=source.encoding,
            columns=mapping.columns,
            partial=partial,
            dry_run=dry_run,
        )
        earlier = _succeeded_run(session, spec, source.sha256)
        if earlier is not None:  # a dry run says so too: importing it would change nothing
            return _already_imported(result, earlier)
        if mapping.errors:
            if dry_run:
                return replace(result, errors=mapping.errors, error_count=len(mapping.errors))
            raise _rejected(name, list(mapping.errors), len(mapping.errors))
        run = _Import(
            session=session,
            actor=actor,
            kind=spec,
            source=source,
            mapping=mapping,
            settings=settings,
            limits=limits,
            locale=locale or settings.default_locale,
            result=result,
        )
        return run.execute()


def describe(result: ImportResult) -> Message:
    """One sentence saying what an import did (or would do)."""
    if result.already_imported:
        return Message(ALREADY_IMPORTED, {"name": result.file_name, "run": result.run_id})
    counts = {
        "name": result.file_name,
        "rows": result.rows_total,
        "inserted": result.inserted,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "rejected": result.rejected,
        "run": result.run_id,
    }
    return Message(PREVIEWED if result.dry_run else IMPORTED, counts)


def _succeeded_run(session: Session, kind: Kind, sha256: str) -> ImportRun | None:
    return session.scalars(
        select(ImportRun)
        .where(
            ImportRun.kind == kind.name.value,
            ImportRun.file_sha256 == sha256,
            ImportRun.status == ImportStatus.SUCCEEDED,
        )
        .order_by(ImportRun.id)
        .limit(1)
    ).one_or_none()


def _already_imported(result: ImportResult, run: ImportRun) -> ImportResult:
    return replace(
        result,
        rows_total=run.rows_total,
        unchanged=run.rows_total,
        run_id=run.id,
        status=run.status,
        already_imported=True,
    )


def _rejected(file_name: str, errors: list[RowError], count: int) -> ImportRejected:
    text = file_problem(problems.REJECTED, count=count, name=file_name)
    return ImportRejected(text, errors=errors, count=count)


@dataclass
class _Import:
    """One import between its header check and its result (kept together for readability)."""

    session: Session
    actor: Actor
    kind: Kind
    source: SourceFile
    mapping: HeaderMapping
    settings: Settings
    limits: ImportLimits
    locale: Locale
    result: ImportResult
    now: datetime = field(default_factory=utcnow)

    def _visible(self) -> Select[tuple[int]] | None:
        """The customers the importer may touch (``None``: the whole book)."""
        if access_scope.sees_every_customer(self.actor):
            return None
        return access_scope.visible_customer_ids(self.actor)

    def execute(self) -> ImportResult:
        with writing.roomy_cache(self.session.connection()):
            return self._execute()

    def _execute(self) -> ImportResult:
        connection = self.session.connection()
        stage = staging.stage_table(self.mapping.staged)
        staging.create(connection, stage)
        staged = writing.Staged(self.kind, stage, self.mapping.staged)
        rows, errors = self._stage(staged)
        staging.analyse(connection, stage)
        writing.lock(connection, self.kind)
        database_errors = writing.check(connection, staged, visible=self._visible())
        errors = validation.concat_errors([errors, database_errors])
        rejected = errors.get_column("row").unique()
        if errors.height and not (self.result.partial or self.result.dry_run):
            staging.drop(connection, stage)
            raise _rejected(self.result.file_name, self._row_errors(errors), errors.height)
        writing.exclude(connection, staged, rejected)
        counted = replace(
            self.result,
            rows_total=rows,
            rejected=len(rejected),
            errors=tuple(self._row_errors(errors)),
            error_count=errors.height,
        )
        if self.result.dry_run:
            inserted, updated = writing.preview(connection, staged)
            staging.drop(connection, stage)
            return replace(
                counted,
                inserted=inserted,
                updated=updated,
                unchanged=rows - len(rejected) - inserted - updated,
            )
        outcome = self._write(staged, counted, errors)
        staging.drop(connection, stage)
        return outcome

    def _stage(self, staged: writing.Staged) -> tuple[int, pl.DataFrame]:
        """Check the file batch by batch into the staging table; return the row count and the
        problems found without the database (duplicates need every row, so they come last)."""
        connection = self.session.connection()
        context = validation.Context(
            today=business_today(self.settings.zone),
            default_currency=self.settings.default_currency,
        )
        dates = frozenset(
            column.name for column in self.kind.columns if column.type is ColumnType.DATE
        )
        rows = 0
        errors: list[pl.DataFrame] = []
        keys: list[pl.DataFrame] = []
        batches = reading.read_batches(self.source, self.mapping.names, date_columns=dates)
        # A batch is written to the staging table while the next one is checked: on two cores
        # the database (or the driver) and polars then work at the same time.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-staging") as loader:
            loading: deque[Future[None]] = deque()
            for batch in batches:
                checked = validation.check_batch(self.mapping, batch, context)
                rows += checked.staged.height
                if rows > self.limits.max_rows:
                    raise ImportFileTooLarge(
                        file_problem(problems.TOO_MANY_ROWS, limit=self.limits.max_rows)
                    )
                if len(loading) == STAGING_AHEAD:
                    loading.popleft().result()
                loading.append(
                    loader.submit(staging.load, connection, staged.table, checked.staged)
                )
                errors.append(checked.errors)
                keys.append(validation.file_keys(self.kind, checked.staged))
            for load in loading:
                load.result()
        if not rows:
            raise ImportFileRejected(file_problem(problems.NO_ROWS))
        errors.append(validation.duplicate_errors(self.kind, pl.concat(keys)))
        return rows, validation.concat_errors(errors)

    def _row_errors(self, errors: pl.DataFrame) -> list[RowError]:
        return [
            RowError(row, self.mapping.header(column), problems.clip(value), code, detail or "")
            for row, column, value, code, detail in errors.head(MAX_ERRORS).iter_rows()
        ]

    def _write(
        self, staged: writing.Staged, result: ImportResult, errors: pl.DataFrame
    ) -> ImportResult:
        connection = self.session.connection()
        run_id = self._start_run(result)
        stamp = writing.Stamp(
            run_id=run_id,
            now=self.now,
            today=business_today(self.settings.zone),
            owner_id=self.actor.user_id,
        )
        try:
            written = writing.merge(connection, staged, stamp)
        except IntegrityError as exc:
            raise ImportConflict(
                "the file conflicts with data stored meanwhile or with a rule of the database; "
                f"nothing was imported ({exc.orig})"
            ) from exc
        unchanged = result.rows_total - result.rejected - written.inserted - written.updated
        status = ImportStatus.SUCCEEDED
        if result.rejected:
            status = (
                ImportStatus.PARTIAL
                if result.rejected < result.rows_total
                else ImportStatus.REJECTED
            )
        outcome = replace(
            result,
            inserted=written.inserted,
            updated=written.updated,
            unchanged=unchanged,
            run_id=run_id,
            status=status,
        )
        if result.rejected:
            outcome = replace(outcome, rejects_file=self._write_rejects(run_id, errors))
        if written.inserted or written.updated:
            self._announce(outcome, written)
        self._finish_run(outcome)
        return outcome

    def _start_run(self, result: ImportResult) -> int:
        """The run's row, written first: its id is the ``source_ref`` of every row written.
        Core, not the ORM, so that the import's one audit entry is the bulk load's."""
        statement = (
            insert(_RUNS)
            .values(
                kind=self.kind.name.value,
                partial=result.partial,
                file_name=result.file_name,
                file_sha256=result.file_sha256,
                file_bytes=result.file_bytes,
                status=ImportStatus.SUCCEEDED,
                actor_id=self.actor.user_id,
                actor_username=self.actor.username,
                started_at=self.now,
                rows_total=result.rows_total,
                rows_inserted=0,
                rows_updated=0,
                rows_unchanged=0,
                rows_rejected=result.rejected,
                errors=[error.stored() for error in result.errors],
                error_count=result.error_count,
            )
            .returning(_RUNS.c.id)
        )
        return int(self.session.connection().execute(statement).scalar_one())

    def _finish_run(self, outcome: ImportResult) -> None:
        self.session.connection().execute(
            update(_RUNS)
            .where(_RUNS.c.id == outcome.run_id)
            .values(
                status=outcome.status,
                finished_at=utcnow(),
                rows_inserted=outcome.inserted,
                rows_updated=outcome.updated,
                rows_unchanged=outcome.unchanged,
            )
        )

    def _write_rejects(self, run_id: int, errors: pl.DataFrame) -> Path:
        target = rejects_path(self.settings, run_id, self.source.sha256)
        exports.write_rejects(target, self.source, self.mapping, errors, self.locale)
        return target

    def _announce(self, outcome: ImportResult, written: writing.Written) -> None:
        """One audit entry for the import, one event per customer whose records it touched
        (per-row events would double the cost of a large import; monitoring reloads a
        customer's records from the database anyway)."""
        events: list[dict[str, Any]] = [
            {
                "event_id": uuid.uuid4().hex,
                "event_type": self.kind.event_type,
                "customer_id": customer_id,
                "entity_type": ImportRun.__tablename__,
                "entity_id": str(outcome.run_id),
                "payload": {
                    "import_run_id": outcome.run_id,
                    "kind": self.kind.name.value,
                    "inserted": touched.inserted,
                    "updated": touched.updated,
                    "keys": sorted(touched.keys),
                    "more_keys": touched.more,
                },
                "occurred_at": self.now,
                "recorded_at": self.now,
            }
            for customer_id, touched in sorted(written.customers.items())
        ]
        recorders.record_bulk_load(
            self.session,
            action="import",
            entity_type=self.kind.table,
            summary={
                "import_run_id": outcome.run_id,
                "kind": self.kind.name.value,
                "file_name": outcome.file_name,
                "file_sha256": outcome.file_sha256,
                "rows": outcome.rows_total,
                "inserted": outcome.inserted,
                "updated": outcome.updated,
                "unchanged": outcome.unchanged,
                "rejected": outcome.rejected,
                "customers": len(events),
            },
            events=events,
        )


def rejects_path(settings: Settings, run_id: int, sha256: str) -> Path:
    """Where a run's rejects file lives (the hash guards against a run id reused after a
    rolled-back import on SQLite)."""
    return settings.data_dir / "imports" / f"run-{run_id}-{sha256[:12]}-rejects.csv"


def _readable_kinds(actor: Actor) -> list[str]:
    return [kind.name.value for kind in KINDS.values() if actor.can(kind.read_permission)]


def list_runs(
    session: Session,
    actor: Actor,
    *,
    kind: ImportKind | None = None,
    page: PageRequest = PageRequest(),  # noqa: B008 - frozen, safe as a default
) -> Page[ImportRun]:
    """Import runs, newest first, of the kinds the actor may read."""
    return paginate(session, _runs(actor, kind), page)


def iter_runs(
    session: Session, actor: Actor, *, kind: ImportKind | None = None, limit: int
) -> Iterator[ImportRun]:
    """The runs :func:`list_runs` pages through, up to ``limit`` of them, for an export."""
    return iter(session.scalars(_runs(actor, kind).limit(limit)))


def _runs(actor: Actor, kind: ImportKind | None) -> Select[ImportRun]:
    statement = select(ImportRun).where(ImportRun.kind.in_(_readable_kinds(actor)))
    if kind is not None:
        statement = statement.where(ImportRun.kind == kind.value)
    return statement.order_by(ImportRun.id.desc())


def get_run(session: Session, actor: Actor, run_id: int) -> ImportRun:
    run = session.get(ImportRun, run_id)
    if run is None or run.kind not in _readable_kinds(actor):
        raise ImportRunNotFound(f"no import run {run_id}")
    return run


def run_errors(run: ImportRun) -> list[RowError]:
    return [RowError.from_stored(stored) for stored in run.errors]


def rejects_file(
    session: Session, actor: Actor, run_id: int, *, settings: Settings | None = None
) -> Path:
    """The rejected rows of a partial import, as a CSV to correct and import again."""
    run = get_run(session, actor, run_id)
    path = rejects_path(settings or get_settings(), run.id, run.file_sha256)
    if not run.rows_rejected or not path.is_file():
        raise ImportRunNotFound(f"import run {run_id} kept no rejected rows")
    # The rejected rows are the uploaded data itself: downloading them is an audited export.
    recorders.record_action(
        session,
        action="export",
        entity_type="import_runs",
        entity_id=str(run.id),
        details={"rows": run.rows_rejected, "format": "csv", "kind": run.kind},
        actor=actor,
    )
    return path


def template(
    actor: Actor,
    *,
    kind: ImportKind | str,
    file_format: TemplateFormat,
    locale: Locale,
    settings: Settings | None = None,
) -> Template:
    """An empty file of ``kind`` to fill in, with headers in ``locale``."""
    spec = KINDS[ImportKind(kind)]
    auth_service.ensure_permission(actor, spec.read_permission)
    currency = (settings or get_settings()).default_currency
    return templates.template(spec, file_format, locale, currency)
