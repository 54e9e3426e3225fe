"""The import page: choose what a file holds and the file, preview it (a dry run showing how the
header was read, what would change and every problem), import it all-or-nothing or partly,
download templates and rejected rows, and see the recent import runs.

The page answers htmx with the result fragment only (and the refreshed run list out of band);
without JavaScript the same forms post and get the whole page back. Problems with the file are
shown on the page, never as an error page: a person has to be able to fix the file from there.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from fengkong.api.deps import DbSession
from fengkong.api.routes.imports import MULTIPART_OVERHEAD, Upload, spooled
from fengkong.auth.actor import Actor
from fengkong.display.formatting import Formatter
from fengkong.errors import PermissionDenied
from fengkong.i18n import N_, Message, translations
from fengkong.imports import problems, service
from fengkong.imports import templates as import_templates
from fengkong.imports.kinds import KINDS, ImportKind
from fengkong.imports.models import ImportRun, ImportStatus
from fengkong.imports.problems import ImportFailed, RowError, file_problem
from fengkong.imports.service import ImportResult
from fengkong.imports.templates import TemplateFormat
from fengkong.kit.pagination import PageRequest
from fengkong.reports.exports import (
    MAX_EXPORT_ROWS,
    ColumnKind,
    ExportColumn,
    ExportTable,
    local_time,
)
from fengkong.settings import Locale
from fengkong.web.deps import OptionalActor, WebPermission, app_settings, request_locale, requires
from fengkong.web.exports import export_format, export_response
from fengkong.web.templating import is_htmx, render

router = APIRouter(prefix="/imports", include_in_schema=False)

RESULT_ID = "import-result"
RUNS_ID = "import-runs"
RUNS_SHOWN = 20
MAX_FORM_FIELDS = 8
"""The form sends the CSRF token, the kind and the mode besides the file."""
PARTIAL_MODE = "partial"

KIND_LABELS: dict[ImportKind, str] = {
    ImportKind.CUSTOMERS: N_("Customers"),
    ImportKind.RELATED_PARTIES: N_("Related parties"),
    ImportKind.FINANCIAL_STATEMENTS: N_("Financial statements"),
    ImportKind.INVOICES: N_("Invoices"),
    ImportKind.PAYMENTS: N_("Payments"),
    ImportKind.ORDERS: N_("Orders"),
    ImportKind.CONTRACTS: N_("Contracts"),
    ImportKind.CREDIT_REPORTS: N_("Credit reports"),
    ImportKind.LEGAL_EVENTS: N_("Legal events"),
}
STATUS_LABELS: dict[ImportStatus, str] = {
    ImportStatus.SUCCEEDED: N_("Imported"),
    ImportStatus.PARTIAL: N_("Partly imported"),
    ImportStatus.REJECTED: N_("Nothing imported"),
}
NO_OUTCOME: dict[str, Any] = {
    "refusal": None,
    "result": None,
    "summary": "",
    "columns": [],
    "problems": [],
    "error_count": 0,
    "rejects": None,
}
"""What the result area shows before anything was sent."""

NO_FILE = N_("Choose a .csv or .xlsx file to import.")
NO_KIND = N_("Choose what the file holds.")
NO_LENGTH = N_("The upload did not say how large it is; choose the file and send it again.")


def writable_kinds(actor: Actor) -> list[ImportKind]:
    """The kinds ``actor`` may import: importing a kind needs its area's write permission."""
    return [kind.name for kind in KINDS.values() if actor.can(kind.write_permission)]


class ImportsPermission(WebPermission):
    """The page opens for a signed-in user who may import at least one kind; each import still
    checks the write permission of its own kind (in the import service)."""

    def __init__(self) -> None:
        super().__init__(None)

    def __call__(self, actor: OptionalActor) -> Actor:
        signed_in = super().__call__(actor)
        if not writable_kinds(signed_in):
            raise PermissionDenied(
                f"importing needs a write permission, which the {signed_in.role} role lacks",
                details={"role": signed_in.role.value},
            )
        return signed_in


Importer = Annotated[Actor, Depends(ImportsPermission())]


@dataclass(frozen=True, slots=True)
class ImportForm:
    """What the import form sent. ``refusal`` says why the upload was not taken (too large, no
    file); the page shows it rather than an error page."""

    kind: ImportKind | None
    partial: bool
    upload: Upload | None = None
    refusal: Message | None = None
    status_code: int = 200


def too_large_message(request: Request) -> Message:
    settings = app_settings(request)
    limit = Formatter(request_locale(request), settings.zone).number(settings.import_max_bytes)
    return file_problem(problems.FILE_TOO_LARGE, limit=limit)


def _kind(value: object) -> ImportKind | None:
    try:
        return ImportKind(value) if isinstance(value, str) and value else None
    except ValueError:
        return None


async def import_form(request: Request) -> AsyncIterator[ImportForm]:
    """The posted form, its file copied a chunk at a time to a temporary file of ours (removed
    after the request). A body larger than the import limit is refused before it is read, as
    the API refuses it."""
    limit = app_settings(request).import_max_bytes
    too_large = too_large_message(request)
    length = request.headers.get("content-length")
    if length is None or not length.isdigit():
        yield ImportForm(None, False, refusal=Message(NO_LENGTH), status_code=411)
        return
    if int(length) > limit + MULTIPART_OVERHEAD:
        yield ImportForm(None, False, refusal=too_large, status_code=413)
        return
    form = await request.form(max_files=1, max_fields=MAX_FORM_FIELDS)
    try:
        kind = _kind(form.get("kind"))
        partial = form.get("mode") == PARTIAL_MODE
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            yield ImportForm(kind, partial, refusal=Message(NO_FILE), status_code=400)
            return
        async with spooled(upload, limit) as path:
            if path is None:
                yield ImportForm(kind, partial, refusal=too_large, status_code=413)
            else:
                yield ImportForm(kind, partial, upload=Upload(path=path, name=upload.filename))
    finally:
        await form.close()


PostedForm = Annotated[ImportForm, Depends(import_form)]


@dataclass(frozen=True, slots=True)
class ProblemRow:
    row: int | None
    column: str | None
    value: str | None
    message: str


def problem_rows(errors: Sequence[RowError], locale: Locale) -> list[ProblemRow]:
    return [
        ProblemRow(error.row, error.column, error.value, error.message.render(locale))
        for error in errors
    ]


@dataclass(frozen=True, slots=True)
class MappingRow:
    """One header cell: its position (1 = the first column), as written, and the field it fills
    in the reader's language (``None``: not recognised, the column is not imported)."""

    position: int
    header: str
    field: str | None
    name: str | None
    required: bool


def mapping_rows(result: ImportResult, locale: Locale) -> list[MappingRow]:
    return [
        MappingRow(
            position=mapped.position + 1,
            header=mapped.header,
            field=import_templates.header(mapped.column, locale) if mapped.column else None,
            name=mapped.column.name if mapped.column else None,
            required=bool(mapped.column and mapped.column.required),
        )
        for mapped in result.columns
    ]


def rejects_url(run_id: int) -> str:
    return f"/imports/runs/{run_id}/rejects.csv"


def _runs_context(session: Session, actor: Actor) -> dict[str, Any]:
    runs = service.list_runs(session, actor, page=PageRequest(page_size=RUNS_SHOWN))
    return {"runs": runs, "runs_id": RUNS_ID, "rejects_url": rejects_url}


def _page_context(
    request: Request, session: Session, actor: Actor, selected: ImportKind | None
) -> dict[str, Any]:
    return {
        "kinds": writable_kinds(actor),
        "selected_kind": selected,
        "partial": False,
        "max_bytes": app_settings(request).import_max_bytes,
        "too_large": too_large_message(request).render(request_locale(request)),
        "template_formats": list(TemplateFormat),
        "result_id": RESULT_ID,
        **_runs_context(session, actor),
        **_labels(),
        **NO_OUTCOME,
    }


def _labels() -> dict[str, Any]:
    return {"kind_labels": KIND_LABELS, "status_labels": STATUS_LABELS}


@router.get("")
def import_page(
    request: Request,
    session: DbSession,
    actor: Importer,
    kind: Annotated[str | None, Query()] = None,
) -> Response:
    """The page; ``?kind=`` preselects what the file holds (ignored when not importable)."""
    selected = _kind(kind)
    if selected not in writable_kinds(actor):
        selected = None
    return render(request, "imports/page.html", _page_context(request, session, actor, selected))


@router.post("/preview")
def preview(request: Request, session: DbSession, actor: Importer, form: PostedForm) -> Response:
    """A dry run: how the header was read, what would change, every problem; nothing written."""
    return _import(request, session, actor, form, dry_run=True)


@router.post("")
def import_file(
    request: Request, session: DbSession, actor: Importer, form: PostedForm
) -> Response:
    """The import itself: the run and its counts, or every problem and nothing written."""
    return _import(request, session, actor, form, dry_run=False)


def _import(
    request: Request, session: Session, actor: Actor, form: ImportForm, *, dry_run: bool
) -> Response:
    locale = request_locale(request)
    if form.refusal is not None:
        context: dict[str, Any] = {"refusal": form.refusal.render(locale)}
        return _answer(request, session, actor, form, context, status_code=form.status_code)
    if form.kind is None or form.upload is None:
        refusal = Message(NO_KIND if form.kind is None else NO_FILE)
        context = {"refusal": refusal.render(locale)}
        return _answer(request, session, actor, form, context, status_code=400)
    # A savepoint: a refused import leaves nothing behind (not even its staging table), and a
    # dry run is rolled back whatever the service did, so a preview can never write.
    savepoint = session.begin_nested()
    try:
        result = service.import_file(
            session,
            actor,
            kind=form.kind,
            path=form.upload.path,
            file_name=form.upload.name,
            partial=form.partial,
            dry_run=dry_run,
            locale=locale,
            settings=app_settings(request),
        )
    except ImportFailed as error:
        savepoint.rollback()
        refused = error.localised(locale)
        context = {
            "refusal": refused.message,
            "problems": problem_rows(refused.errors, locale),
            "error_count": refused.count,
        }
        return _answer(request, session, actor, form, context, status_code=refused.status_code)
    except BaseException:
        savepoint.rollback()
        raise
    if dry_run:
        savepoint.rollback()
    else:
        savepoint.commit()
    context = {
        "result": result,
        "summary": service.describe(result).render(locale),
        "columns": mapping_rows(result, locale),
        "problems": problem_rows(result.errors, locale),
        "error_count": result.error_count,
        "rejects": (
            rejects_url(result.run_id)
            if result.run_id and result.rejected and not result.already_imported
            else None
        ),
    }
    return _answer(request, session, actor, form, context, status_code=200, refresh=not dry_run)


def _answer(
    request: Request,
    session: Session,
    actor: Actor,
    form: ImportForm,
    outcome: dict[str, Any],
    *,
    status_code: int,
    refresh: bool = False,
) -> Response:
    """The result fragment for htmx (always 200: htmx swaps nothing else), with the run list
    out of band after an import; the whole page, with the status, for a plain form post."""
    context = NO_OUTCOME | outcome
    if is_htmx(request):
        runs = _runs_context(session, actor) if refresh else {}
        return render(
            request,
            "imports/_result.html",
            {**context, **_labels(), **runs, "refresh_runs": refresh},
        )
    page = _page_context(request, session, actor, form.kind)
    return render(
        request,
        "imports/page.html",
        {**page, **context, "partial": form.partial},
        status_code=status_code,
    )


@router.get("/{kind}/template")
def download_template(
    request: Request,
    kind: ImportKind,
    actor: Importer,
    file_format: Annotated[TemplateFormat, Query(alias="format")] = TemplateFormat.XLSX,
) -> Response:
    """An empty file to fill in, headers in the page's language."""
    template = service.template(
        actor,
        kind=kind,
        file_format=file_format,
        locale=request_locale(request),
        settings=app_settings(request),
    )
    return Response(
        template.content,
        media_type=template.media_type,
        headers={"Content-Disposition": f'attachment; filename="{template.file_name}"'},
    )


@router.get("/runs/export.{fmt}")
def export_runs(request: Request, session: DbSession, actor: Importer, fmt: str) -> Response:
    """Every import run the actor may read, newest first, as Excel or CSV: the page shows the
    latest twenty, an auditor asking who loaded what wants them all."""
    chosen = export_format(fmt)
    gettext = translations(request_locale(request)).gettext
    zone = app_settings(request).zone
    table: ExportTable[ImportRun] = ExportTable(
        N_("Import runs"),
        [
            ExportColumn(N_("Run"), attrgetter("id"), ColumnKind.NUMBER),
            ExportColumn(N_("Contents"), lambda run: gettext(KIND_LABELS[ImportKind(run.kind)])),
            ExportColumn(N_("File"), attrgetter("file_name")),
            ExportColumn(N_("File SHA-256"), attrgetter("file_sha256")),
            ExportColumn(N_("Imported by"), attrgetter("actor_username")),
            ExportColumn(
                N_("Started"), lambda run: local_time(run.started_at, zone), ColumnKind.DATETIME
            ),
            ExportColumn(
                N_("Finished"), lambda run: local_time(run.finished_at, zone), ColumnKind.DATETIME
            ),
            ExportColumn(N_("Status"), lambda run: gettext(STATUS_LABELS[run.status])),
            ExportColumn(N_("Rows"), attrgetter("rows_total"), ColumnKind.NUMBER),
            ExportColumn(N_("New"), attrgetter("rows_inserted"), ColumnKind.NUMBER),
            ExportColumn(N_("Updated"), attrgetter("rows_updated"), ColumnKind.NUMBER),
            ExportColumn(N_("Unchanged"), attrgetter("rows_unchanged"), ColumnKind.NUMBER),
            ExportColumn(N_("Rejected"), attrgetter("rows_rejected"), ColumnKind.NUMBER),
        ],
    )
    rows = service.iter_runs(session, actor, limit=MAX_EXPORT_ROWS)
    return export_response(
        request, session, actor, entity_type="import_runs", table=table, rows=rows, fmt=chosen
    )


@router.get("/runs/{run_id:int}/rejects.csv")
def download_rejects(
    request: Request,
    run_id: int,
    session: DbSession,
    actor: Annotated[Actor, requires(None)],
) -> FileResponse:
    """A partial import's rejected rows with their reasons, for whoever may read its kind."""
    path = service.rejects_file(session, actor, run_id, settings=app_settings(request))
    return FileResponse(
        path, media_type="text/csv; charset=utf-8", filename=f"import-{run_id}-rejects.csv"
    )
