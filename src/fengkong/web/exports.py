"""The download of a list export: the file streamed back and one audited ``export`` entry.

List routes build their rows with the list's own query (same filters, same access scope) and
hand them here with their ``ExportTable``; the file is written by ``fengkong.reports.exports``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator
from typing import IO, TypeVar

from fastapi import HTTPException, Request
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.i18n import translations
from fengkong.kit.time import business_today
from fengkong.recorders import record_action
from fengkong.reports.exports import MAX_EXPORT_ROWS, ExportFormat, ExportTable, write_export
from fengkong.web.deps import app_settings, request_locale

R = TypeVar("R")


def export_format(value: str) -> ExportFormat:
    """The format named in an export URL (``….xlsx`` / ``….csv``); anything else is not found."""
    try:
        return ExportFormat(value)
    except ValueError:
        raise HTTPException(status_code=404) from None


def _chunks(file: IO[bytes], size: int = 64 * 1024) -> Iterator[bytes]:
    try:
        while block := file.read(size):
            yield block
    finally:
        file.close()


def export_response(
    request: Request,
    session: Session,
    actor: Actor,
    *,
    entity_type: str,
    table: ExportTable[R],
    rows: Iterable[R],
    fmt: ExportFormat,
    limit: int = MAX_EXPORT_ROWS,
) -> StreamingResponse:
    """Write ``rows`` in the page language and stream the file back, audited as an export of
    ``entity_type`` with the row count, format and the filters of the query string."""
    gettext = translations(request_locale(request)).gettext
    # Spooled: a small export stays in memory, a large one goes to a temporary file, which the
    # response closes once sent.
    target = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    try:
        exported = write_export(target, table, rows, fmt=fmt, gettext=gettext, limit=limit)
    except BaseException:
        target.close()
        raise
    target.seek(0)
    record_action(
        session,
        action="export",
        entity_type=entity_type,
        entity_id="*",
        details={"rows": exported, "format": fmt.value, "filters": dict(request.query_params)},
        actor=actor,
    )
    today = business_today(app_settings(request).zone)
    filename = f"{entity_type.replace('_', '-')}-{today:%Y%m%d}.{fmt.value}"
    return StreamingResponse(
        _chunks(target),
        media_type=fmt.media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
