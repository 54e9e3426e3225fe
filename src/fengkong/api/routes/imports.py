"""File imports over HTTP: upload a CSV or XLSX of one kind (or preview it with ``dry_run``),
download a template, and look at past import runs and their rejected rows."""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.responses import FileResponse
from starlette.datastructures import UploadFile

from fengkong.api.deps import DbSession, authenticated
from fengkong.auth.actor import Actor
from fengkong.errors import DomainError
from fengkong.i18n import negotiate_locale
from fengkong.imports import problems, service
from fengkong.imports.kinds import ImportKind
from fengkong.imports.problems import ImportFailed, ImportFileTooLarge, file_problem
from fengkong.imports.schemas import (
    ImportResultOut,
    ImportRunOut,
    ImportRunPage,
    ImportRunSummaryOut,
)
from fengkong.imports.templates import TemplateFormat
from fengkong.kit.pagination import MAX_PAGE_SIZE, PageRequest
from fengkong.settings import Locale, Settings

router = APIRouter(prefix="/imports", tags=["imports"])

CHUNK_BYTES = 1024 * 1024
MULTIPART_OVERHEAD = 64 * 1024
"""Room for the multipart envelope around a file of the largest size allowed."""


class UploadMissing(DomainError):
    code = "upload_missing"


class LengthRequired(DomainError):
    status_code = 411
    code = "length_required"


@dataclass(frozen=True, slots=True)
class Upload:
    path: Path
    name: str


def app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


AppSettings = Annotated[Settings, Depends(app_settings)]


def request_locale(request: Request, settings: AppSettings) -> Locale:
    """The language the client asks for (``Accept-Language``), else the deployment's."""
    return negotiate_locale(request.headers.get("accept-language"), settings.default_locale)


RequestLocale = Annotated[Locale, Depends(request_locale)]


async def receive_upload(
    request: Request, settings: AppSettings, locale: RequestLocale
) -> AsyncIterator[Upload]:
    """The uploaded ``file`` in a temporary file of ours, copied a chunk at a time and never
    held in memory; a body larger than the import limit is refused before it is read."""
    limit = settings.import_max_bytes
    too_large = ImportFileTooLarge(file_problem(problems.FILE_TOO_LARGE, limit=limit))
    length = request.headers.get("content-length")
    if length is None or not length.isdigit():
        raise LengthRequired("send the upload with a Content-Length header")
    if int(length) > limit + MULTIPART_OVERHEAD:
        raise too_large.localised(locale)
    form = await request.form(max_files=1, max_fields=0)
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise UploadMissing("send the file as the multipart/form-data field 'file'")
        async with spooled(upload, limit) as path:
            if path is None:
                raise too_large.localised(locale)
            yield Upload(path=path, name=upload.filename or "upload")
    finally:
        await form.close()


@asynccontextmanager
async def spooled(upload: UploadFile, limit: int) -> AsyncIterator[Path | None]:
    """``upload`` copied a chunk at a time to a temporary file of ours, removed on exit; ``None``
    as soon as it proves larger than ``limit`` bytes (the rest is never read)."""
    handle, name = tempfile.mkstemp(prefix="fengkong-upload-")
    path = Path(name)
    try:
        received = 0
        with os.fdopen(handle, "wb") as target:
            while chunk := await upload.read(CHUNK_BYTES):
                received += len(chunk)
                if received > limit:
                    break
                target.write(chunk)
        yield path if received <= limit else None
    finally:
        path.unlink(missing_ok=True)


_MULTIPART: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": ".csv or .xlsx",
                        }
                    },
                }
            }
        },
    }
}


@router.post(
    "/{kind}",
    response_model=ImportResultOut,
    status_code=status.HTTP_201_CREATED,
    openapi_extra=_MULTIPART,
    responses={
        200: {"description": "A dry run, or a file imported before (nothing written)"},
        413: {"description": "The file is larger, or has more rows, than allowed"},
        422: {"description": "Problems found, all listed; nothing was written"},
    },
)
def import_file(
    kind: ImportKind,
    actor: Annotated[Actor, authenticated()],
    session: DbSession,
    response: Response,
    upload: Annotated[Upload, Depends(receive_upload)],
    locale: RequestLocale,
    settings: AppSettings,
    partial: Annotated[
        bool, Query(description="Write the valid rows; rejected ones come back as a CSV")
    ] = False,
    dry_run: Annotated[
        bool, Query(description="Check only: the header mapping, counts and problems")
    ] = False,
) -> ImportResultOut:
    """Import a CSV (UTF-8, UTF-8 with BOM, GB18030/GBK) or XLSX file of ``kind``. Atomic unless
    ``partial``; the same file imported again changes nothing."""
    try:
        result = service.import_file(
            session,
            actor,
            kind=kind,
            path=upload.path,
            file_name=upload.name,
            partial=partial,
            dry_run=dry_run,
            locale=locale,
            settings=settings,
        )
    except ImportFailed as error:
        raise error.localised(locale) from None
    if result.dry_run or result.already_imported:
        response.status_code = status.HTTP_200_OK
    else:
        response.headers["Location"] = f"/api/v1/imports/{result.run_id}"
    return ImportResultOut.of(result, locale)


@router.get("/{kind}/template", response_class=Response)
def download_template(
    kind: ImportKind,
    locale: RequestLocale,
    settings: AppSettings,
    file_format: Annotated[TemplateFormat, Query(alias="format")] = TemplateFormat.XLSX,
    actor: Actor = authenticated(),
) -> Response:
    """An empty file to fill in, with headers in the client's language."""
    template = service.template(
        actor, kind=kind, file_format=file_format, locale=locale, settings=settings
    )
    return Response(
        template.content,
        media_type=template.media_type,
        headers={"Content-Disposition": f'attachment; filename="{template.file_name}"'},
    )


@router.get("", response_model=ImportRunPage)
def list_import_runs(
    session: DbSession,
    kind: ImportKind | None = None,
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
    actor: Actor = authenticated(),
) -> ImportRunPage:
    """Import runs, newest first, of the kinds the caller may read."""
    runs = service.list_runs(
        session, actor, kind=kind, page=PageRequest(page=page, page_size=page_size)
    )
    return ImportRunPage(
        items=[ImportRunSummaryOut.of(run) for run in runs.items],
        total=runs.total,
        page=runs.page,
        page_size=runs.page_size,
        pages=runs.pages,
    )


@router.get("/{run_id}", response_model=ImportRunOut)
def get_import_run(
    run_id: int, session: DbSession, locale: RequestLocale, actor: Actor = authenticated()
) -> ImportRunOut:
    run = service.get_run(session, actor, run_id)
    return ImportRunOut.with_errors(run, service.run_errors(run), locale)


@router.get("/{run_id}/rejects.csv", response_class=FileResponse)
def download_rejects(
    run_id: int, session: DbSession, settings: AppSettings, actor: Actor = authenticated()
) -> FileResponse:
    """The rows a partial import rejected, with their reasons, to correct and import again."""
    path = service.rejects_file(session, actor, run_id, settings=settings)
    return FileResponse(
        path, media_type="text/csv; charset=utf-8", filename=f"import-{run_id}-rejects.csv"
    )
