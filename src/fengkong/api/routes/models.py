"""The model registry over REST (docs/model-lab.md, "Registry"): list, get, register (JSON or
the lab's files), validate, approve, reject, promote, roll back, the validation report, the
scorecard exports, the drift checks and a champion-vs-challenger comparison on uploaded data."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, UploadFile, status
from fastapi.responses import HTMLResponse, Response

from fengkong.api.deps import DbSession, requires
from fengkong.api.idempotency import IdempotentRoute, writes
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.errors import NotFound, ValidationFailed
from fengkong.kit.time import business_today
from fengkong.models import comparison, drift, service
from fengkong.models import shadow as shadow_service
from fengkong.models.artefacts import MAX_ARTEFACT_BYTES
from fengkong.models.models import ModelDriftCheck
from fengkong.models.schemas import (
    DecisionIn,
    DriftCheckOut,
    DriftHistoryOut,
    DriftRunItem,
    DriftRunOut,
    ModelDetailOut,
    ModelIn,
    ModelList,
    ModelOut,
    RejectIn,
    RollbackIn,
    ShadowComparisonOut,
    ShadowIn,
)
from fengkong.models.status import ModelKind, ModelState
from fengkong.recorders import record_action
from fengkong.records import field_error
from fengkong.settings import get_settings

router = APIRouter(prefix="/models", tags=["models"], route_class=IdempotentRoute)

Reader = Annotated[Actor, requires(Permission.MODELS_READ)]
Writer = Annotated[Actor, writes(Permission.MODELS_WRITE)]
Approver = Annotated[Actor, writes(Permission.MODELS_APPROVE)]

# The lab's files a registration may carry, by name; anything else is refused.
_ARTEFACT_FILES = frozenset(
    {"scorecard.json", "model.txt", "model.json", "validation.json", "report.html"}
)
# A stored report is the lab's own page, but one registered through the API could hold anything:
# it is served as an inert, sandboxed document (no script, no requests, no forms).
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"


class ReportMissing(NotFound):
    code = "report_missing"


def _detail(session: DbSession, actor: Actor, model_id: int) -> ModelDetailOut:
    model = service.get_model(session, actor, model_id=model_id)
    return ModelDetailOut.detail(model, service.decisions(session, actor, model_id=model_id))


@router.get("", response_model=ModelList)
def list_models(
    session: DbSession,
    actor: Reader,
    name: Annotated[str | None, Query(max_length=100)] = None,
    state: ModelState | None = None,
    kind: ModelKind | None = None,
) -> ModelList:
    """Every model version (the active expert scorecard too), by name, newest version first."""
    models = service.list_models(session, actor, name=name, state=state, kind=kind)
    return ModelList(items=[ModelOut.of(model) for model in models])


@router.post("", response_model=ModelDetailOut, status_code=status.HTTP_201_CREATED)
def register_model(data: ModelIn, session: DbSession, actor: Writer) -> ModelDetailOut:
    """Register a trained model sent as JSON; it starts as a draft."""
    model = service.register_model(
        session,
        actor,
        name=data.name,
        kind=data.kind,
        artefact=data.artefact,
        metadata=data.metadata,
        metrics=data.metrics,
        report_html=data.report_html,
        notes=data.notes,
    )
    return _detail(session, actor, model.id)


async def _save(upload: UploadFile, path: Path) -> None:
    content = await upload.read(MAX_ARTEFACT_BYTES + 1)
    if len(content) > MAX_ARTEFACT_BYTES:
        raise ValidationFailed(
            f"{upload.filename} is larger than 50 MiB",
            details=[field_error("files", upload.filename, "too large")],
        )
    path.write_bytes(content)


@router.post(
    "/files",
    response_model=ModelDetailOut,
    status_code=status.HTTP_201_CREATED,
)
async def register_files(
    session: DbSession,
    actor: Writer,
    name: Annotated[str, Form(min_length=1, max_length=100)],
    files: list[UploadFile],
    notes: Annotated[str | None, Form(max_length=4000)] = None,
) -> ModelDetailOut:
    """Register the files ``fengkong model train --out DIR`` wrote, uploaded as ``files``
    (scorecard.json, or model.txt and model.json; validation.json and report.html if any)."""
    with tempfile.TemporaryDirectory(prefix="fengkong-model-") as folder:
        for upload in files:
            filename = Path(upload.filename or "").name
            if filename not in _ARTEFACT_FILES:
                raise ValidationFailed(
                    f"unexpected file {filename!r}; send {', '.join(sorted(_ARTEFACT_FILES))}",
                    details=[field_error("files", filename, "not a model-lab file")],
                )
            await _save(upload, Path(folder) / filename)
        model = service.register_directory(
            session, actor, directory=Path(folder), name=name, notes=notes
        )
    return _detail(session, actor, model.id)


@router.get("/{model_id}", response_model=ModelDetailOut)
def get_model(model_id: int, session: DbSession, actor: Reader) -> ModelDetailOut:
    """One model version with its parameters, metrics (without the ROC points) and history."""
    return _detail(session, actor, model_id)


@router.post("/{model_id}/validate", response_model=ModelDetailOut)
def validate_model(
    model_id: int, data: DecisionIn, session: DbSession, actor: Writer
) -> ModelDetailOut:
    """Accept the cross-validation summary registered with the model as its validation."""
    service.validate_model(session, actor, model_id=model_id, comment=data.comment)
    return _detail(session, actor, model_id)


@router.post("/{model_id}/validate/data", response_model=ModelDetailOut)
async def validate_on_data(
    model_id: int,
    session: DbSession,
    actor: Writer,
    file: UploadFile,
    target: Annotated[str, Form(min_length=1, max_length=200)],
    bad_value: Annotated[str, Form(max_length=200)],
    comment: Annotated[str | None, Form(max_length=4000)] = None,
) -> ModelDetailOut:
    """Measure the model on an uploaded labelled .csv/.xlsx (hold-out metrics) and validate it."""
    suffix = Path(file.filename or "data.csv").suffix.lower() or ".csv"
    with tempfile.TemporaryDirectory(prefix="fengkong-model-") as folder:
        path = Path(folder) / f"holdout{suffix}"
        await _save(file, path)
        service.validate_model(
            session,
            actor,
            model_id=model_id,
            data=path,
            target=target,
            bad_value=bad_value,
            comment=comment,
        )
    return _detail(session, actor, model_id)


@router.post("/{model_id}/approve", response_model=ModelDetailOut)
def approve_model(
    model_id: int, data: DecisionIn, session: DbSession, actor: Approver
) -> ModelDetailOut:
    """Approve a validated model; its author never can (maker-checker)."""
    service.approve_model(session, actor, model_id=model_id, comment=data.comment)
    return _detail(session, actor, model_id)


@router.post("/{model_id}/reject", response_model=ModelDetailOut)
def reject_model(
    model_id: int, data: RejectIn, session: DbSession, actor: Approver
) -> ModelDetailOut:
    service.reject_model(session, actor, model_id=model_id, comment=data.comment)
    return _detail(session, actor, model_id)


@router.post("/{model_id}/promote", response_model=ModelDetailOut)
def promote_model(
    model_id: int, data: DecisionIn, session: DbSession, actor: Approver
) -> ModelDetailOut:
    """Make an approved model its name's champion; the previous champion is retired, kept."""
    service.promote_model(session, actor, model_id=model_id, comment=data.comment)
    return _detail(session, actor, model_id)


@router.get("/{model_id}/shadow", response_model=ShadowComparisonOut)
def shadow_comparison(model_id: int, session: DbSession, actor: Reader) -> ShadowComparisonOut:
    """The shadow challenger against its name's champion on the customers both scored on its
    latest shadow day: rank correlation, mean PDs, grades and their cross-table, and the AUC of
    both where later defaults (90+ days past due) are known."""
    return ShadowComparisonOut.of(shadow_service.compare_shadow(session, actor, model_id=model_id))


@router.post("/{model_id}/shadow", response_model=ModelDetailOut)
def set_shadow(
    model_id: int, data: ShadowIn, session: DbSession, actor: Approver
) -> ModelDetailOut:
    """Start or stop scoring a validated or approved challenger of the scoring name beside the
    champion on live data; it never decides anything."""
    shadow_service.set_shadow(session, actor, model_id=model_id, on=data.on)
    return _detail(session, actor, model_id)


@router.post("/rollback", response_model=ModelDetailOut)
def rollback(data: RollbackIn, session: DbSession, actor: Approver) -> ModelDetailOut:
    """Make an earlier champion of ``name`` the champion again."""
    model = service.rollback(
        session, actor, name=data.name, to_version=data.to_version, comment=data.comment
    )
    return _detail(session, actor, model.id)


@router.get(
    "/{model_id}/report",
    response_class=HTMLResponse,
    responses={200: {"content": {"text/html": {}}, "description": "the validation report"}},
)
def report(model_id: int, session: DbSession, actor: Reader) -> HTMLResponse:
    """The lab's validation report, served sandboxed (no scripts run)."""
    model = service.get_model(session, actor, model_id=model_id)
    if model.report_html is None:
        raise ReportMissing(
            f"{model.name} v{model.version} has no validation report",
            details=[field_error("report_html", None, "no report")],
        )
    return HTMLResponse(
        model.report_html,
        headers={"Content-Security-Policy": REPORT_CSP, "X-Content-Type-Options": "nosniff"},
    )


_EXPORT_CONTENT: dict[str, Any] = {
    "application/json": {},
    "application/yaml": {},
    "application/sql": {},
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {},
}


@router.get(
    "/{model_id}/export",
    response_class=Response,
    responses={200: {"content": _EXPORT_CONTENT, "description": "the scorecard"}},
)
def export(
    model_id: int,
    session: DbSession,
    actor: Reader,
    format: Annotated[str, Query(pattern="^(json|yaml|xlsx|sql)$")] = "json",
) -> Response:
    """A trained scorecard as JSON, YAML, an Excel table or a SQL ``CASE`` expression."""
    exported = service.export_model(session, actor, model_id=model_id, format=format)
    record_action(
        session,
        action="export",
        entity_type="model_versions",
        entity_id=str(model_id),
        details={"format": format, "filename": exported.filename},
        actor=actor,
    )
    return Response(
        exported.content,
        media_type=exported.media_type,
        headers={"Content-Disposition": f'attachment; filename="{exported.filename}"'},
    )


# --- drift watch and champion vs challenger ---------------------------------------------------


def _drift_out(check: ModelDriftCheck) -> DriftCheckOut:
    return DriftCheckOut.model_validate(check)


@router.get("/{model_id}/drift", response_model=DriftHistoryOut)
def drift_history(
    model_id: int,
    session: DbSession,
    actor: Reader,
    limit: Annotated[int, Query(ge=1, le=3660)] = 365,
) -> DriftHistoryOut:
    """The model's daily drift checks, newest first: PSI of the live score distribution against
    development, the verdict and the bins behind it."""
    model = service.get_model(session, actor, model_id=model_id)
    checks = drift.drift_history(session, actor, model_id=model_id, limit=limit)
    return DriftHistoryOut(
        model_id=model.id,
        name=model.name,
        version=model.version,
        items=[_drift_out(check) for check in checks],
    )


@router.post("/drift", response_model=DriftRunOut)
def run_drift(session: DbSession, actor: Writer) -> DriftRunOut:
    """Check every champion for drift today (the workers do it by themselves every day; this is
    for schedulers outside Fengkong). A champion checked today already returns that check."""
    results = drift.check_drift(session, actor, today=business_today(get_settings().zone))
    return DriftRunOut(
        items=[
            DriftRunItem(
                model_id=result.model.id,
                name=result.model.name,
                version=result.model.version,
                new=result.created,
                alerted=result.alerted,
                check=_drift_out(result.check),
            )
            for result in results
        ]
    )


@router.post("/compare", response_model=dict[str, Any])
async def compare_models(
    session: DbSession,
    actor: Reader,
    file: UploadFile,
    champion_id: Annotated[int, Form()],
    challenger_id: Annotated[int, Form()],
    target: Annotated[str, Form(min_length=1, max_length=200)],
    bad_value: Annotated[str, Form(max_length=200)],
) -> dict[str, Any]:
    """Champion against challenger on an uploaded labelled .csv/.xlsx, row for row: AUC, Gini,
    KS, Brier and the deltas, DeLong test, rank correlation, ROC points, calibration by grade and
    grade migration (docs/model-lab.md). Nothing is stored."""
    suffix = Path(file.filename or "data.csv").suffix.lower() or ".csv"
    with tempfile.TemporaryDirectory(prefix="fengkong-model-") as folder:
        path = Path(folder) / f"compare{suffix}"
        await _save(file, path)
        return comparison.compare_on_data(
            session,
            actor,
            champion_id=champion_id,
            challenger_id=challenger_id,
            data=path,
            target=target,
            bad_value=bad_value,
        )
