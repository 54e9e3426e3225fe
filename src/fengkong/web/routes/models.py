"""The model registry in the UI: the list of models (name, version, kind, state, AUC/KS, author,
champion badge), a model's page with its validation report embedded in a sandboxed frame and
the approve / reject / promote forms, and the report itself."""

from __future__ import annotations

from operator import itemgetter
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from fengkong.api.deps import DbSession
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.errors import DomainError, NotFound
from fengkong.i18n import N_, translations
from fengkong.models import comparison, drift, service
from fengkong.models import shadow as shadow_service
from fengkong.models.artefacts import headline
from fengkong.models.models import ModelVersion
from fengkong.models.status import DriftStatus, ModelAction, ModelKind, ModelState
from fengkong.reports.exports import ColumnKind, ExportColumn, ExportTable, local_time
from fengkong.web import sessions
from fengkong.web.deps import app_settings, request_locale, requires
from fengkong.web.exports import export_format, export_response
from fengkong.web.templating import render

router = APIRouter(include_in_schema=False)

MAX_FLASH_LENGTH = 400
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"

KIND_LABELS: dict[ModelKind, str] = {
    ModelKind.EXPERT: N_("Expert scorecard"),
    ModelKind.SCORECARD: N_("Statistical scorecard"),
    ModelKind.GBM: N_("LightGBM"),
}
STATE_LABELS: dict[ModelState, str] = {
    ModelState.DRAFT: N_("Draft"),
    ModelState.VALIDATED: N_("Validated"),
    ModelState.APPROVED: N_("Approved"),
    ModelState.CHAMPION: N_("Champion"),
    ModelState.RETIRED: N_("Retired"),
    ModelState.REJECTED: N_("Rejected"),
}
ACTION_LABELS: dict[ModelAction, str] = {
    ModelAction.REGISTER: N_("Registered"),
    ModelAction.VALIDATE: N_("Validated"),
    ModelAction.APPROVE: N_("Approved"),
    ModelAction.REJECT: N_("Rejected"),
    ModelAction.PROMOTE: N_("Promoted to champion"),
    ModelAction.RETIRE: N_("Retired"),
    ModelAction.ROLLBACK: N_("Rolled back to champion"),
}
DRIFT_LABELS: dict[DriftStatus, str] = {
    DriftStatus.STABLE: N_("Stable"),
    DriftStatus.WATCH: N_("Watch"),
    DriftStatus.DRIFTED: N_("Drifted"),
    DriftStatus.BASELINE: N_("Baseline taken"),
    DriftStatus.TOO_FEW: N_("Too few scores"),
}
DRIFT_SOURCES: dict[str, str] = {
    "training": N_("development sample"),
    "holdout": N_("hold-out sample"),
    "live": N_("live snapshot"),
}
DRIFT_HISTORY_SHOWN = 30
# The registry export's rows hold the model under this key (kept out of gettext() calls, where
# the message extractor would take the key for a message).
_model_of = itemgetter("model")
# Format names, shown as they are (names of file formats, the same in every language).
EXPORT_FORMATS = (("xlsx", "Excel"), ("yaml", "YAML"), ("json", "JSON"), ("sql", "SQL"))
LABELS: dict[str, Any] = {
    "kinds": KIND_LABELS,
    "states": STATE_LABELS,
    "actions": ACTION_LABELS,
    "drift": DRIFT_LABELS,
    "drift_sources": DRIFT_SOURCES,
}

_APPROVED = N_("Model %(name)s v%(version)s approved.")
_PROMOTED = N_("Model %(name)s v%(version)s is the champion now.")
_REJECTED = N_("Model %(name)s v%(version)s rejected.")
_SHADOW_ON = N_("Model %(name)s v%(version)s scores in the shadow from the next scoring run.")
_SHADOW_OFF = N_("Model %(name)s v%(version)s no longer scores in the shadow.")


def _row(model: ModelVersion) -> dict[str, Any]:
    auc, ks = headline(model.metrics)
    return {"model": model, "auc": auc, "ks": ks}


@router.get("/models")
def models_page(
    request: Request,
    session: DbSession,
    actor: Annotated[Actor, requires(Permission.MODELS_READ)],
) -> Response:
    models = service.list_models(session, actor)
    rows = [_row(model) for model in models]
    champions = [m.id for m in models if m.state is ModelState.CHAMPION]
    return render(
        request,
        "models/list.html",
        {
            "rows": rows,
            "labels": LABELS,
            "champion": ModelState.CHAMPION,
            "drift": drift.latest_checks(session, champions),
        },
    )


@router.get("/models/export.{fmt}")
def export_models(
    request: Request,
    session: DbSession,
    actor: Annotated[Actor, requires(Permission.MODELS_READ)],
    fmt: str,
) -> Response:
    """The registry as the page lists it, as Excel or CSV."""
    chosen = export_format(fmt)
    gettext = translations(request_locale(request)).gettext
    zone = app_settings(request).zone
    table: ExportTable[dict[str, Any]] = ExportTable(
        N_("Models"),
        [
            ExportColumn(N_("Name"), lambda r: r["model"].name),
            ExportColumn(N_("Version"), lambda r: r["model"].version, ColumnKind.NUMBER),
            ExportColumn(N_("Kind"), lambda r: gettext(KIND_LABELS[_model_of(r).kind])),
            ExportColumn(N_("State"), lambda r: gettext(STATE_LABELS[_model_of(r).state])),
            ExportColumn(N_("AUC"), itemgetter("auc"), ColumnKind.NUMBER),
            ExportColumn(N_("KS"), itemgetter("ks"), ColumnKind.NUMBER),
            ExportColumn(N_("Author"), lambda r: r["model"].author),
            ExportColumn(
                N_("Created"),
                lambda r: local_time(r["model"].created_at, zone),
                ColumnKind.DATETIME,
            ),
        ],
    )
    rows = [_row(model) for model in service.list_models(session, actor)]
    return export_response(
        request, session, actor, entity_type="model_versions", table=table, rows=rows, fmt=chosen
    )


@router.get("/models/{model_id:int}")
def model_page(
    request: Request,
    model_id: int,
    session: DbSession,
    actor: Annotated[Actor, requires(Permission.MODELS_READ)],
) -> Response:
    model = service.get_model(session, actor, model_id=model_id)
    return render(
        request,
        "models/detail.html",
        {
            **_row(model),
            "history": service.decisions(session, actor, model_id=model_id),
            "labels": LABELS,
            "states": ModelState,
            "can_approve": service.can_approve(actor, model),
            "is_author": service.is_author(actor, model),
            "can_decide": actor.can(Permission.MODELS_APPROVE),
            "is_scorecard": model.kind is ModelKind.SCORECARD,
            "export_formats": EXPORT_FORMATS,
            "drift_checks": drift.drift_history(
                session, actor, model_id=model_id, limit=DRIFT_HISTORY_SHOWN
            ),
            "name_champion": service.champion(session, model.name),
            "shadow": (
                shadow_service.compare_shadow(session, actor, model_id=model_id)
                if model.kind is not ModelKind.EXPERT and model.state is not ModelState.CHAMPION
                else None
            ),
            "can_shadow": actor.can(Permission.MODELS_APPROVE)
            and shadow_service.is_shadow_candidate(model),
        },
    )


@router.get("/models/compare")
def compare_page(
    request: Request,
    session: DbSession,
    actor: Annotated[Actor, requires(Permission.MODELS_READ)],
    champion: int,
    challenger: int,
) -> Response:
    """Two models' stored validation summaries side by side (the registry keeps metrics, not
    data: ``fengkong model compare`` compares them afresh on one file)."""
    stored = comparison.stored_comparison(
        session, actor, champion_id=champion, challenger_id=challenger
    )
    return render(request, "models/compare.html", {"c": stored, "labels": LABELS})


@router.get("/models/{model_id:int}/report")
def model_report(
    model_id: int,
    session: DbSession,
    actor: Annotated[Actor, requires(Permission.MODELS_READ)],
) -> Response:
    """The lab's report as an inert document: a sandbox policy, so nothing in it can run."""
    model = service.get_model(session, actor, model_id=model_id)
    if model.report_html is None:
        raise NotFound(f"{model.name} v{model.version} has no validation report")
    return HTMLResponse(
        model.report_html,
        headers={
            "Content-Security-Policy": REPORT_CSP,
            "X-Content-Type-Options": "nosniff",
            "X-Frame-Options": "SAMEORIGIN",
        },
    )


def _decide(request: Request, model_id: int, act: Any, message: str) -> Response:
    gettext = translations(request_locale(request)).gettext
    try:
        model = act()
    except DomainError as error:
        sessions.flash(request, "error", error.message[:MAX_FLASH_LENGTH])
    else:
        sessions.flash(
            request, "success", gettext(message) % {"name": model.name, "version": model.version}
        )
    return RedirectResponse(f"/models/{model_id}", status_code=303)


@router.post("/models/{model_id:int}/approve")
def approve(
    request: Request,
    model_id: int,
    session: DbSession,
    actor: Annotated[Actor, requires(Permission.MODELS_APPROVE)],
    comment: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    def act() -> ModelVersion:
        with session.begin_nested():
            return service.approve_model(session, actor, model_id=model_id, comment=comment)

    return _decide(request, model_id, act, _APPROVED)


@router.post("/models/{model_id:int}/reject")
def reject(
    request: Request,
    model_id: int,
    session: DbSession,
    actor: Annotated[Actor, requires(Permission.MODELS_APPROVE)],
    comment: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    def act() -> ModelVersion:
        with session.begin_nested():
            return service.reject_model(session, actor, model_id=model_id, comment=comment)

    return _decide(request, model_id, act, _REJECTED)


@router.post("/models/{model_id:int}/promote")
def promote(
    request: Request,
    model_id: int,
    session: DbSession,
    actor: Annotated[Actor, requires(Permission.MODELS_APPROVE)],
    comment: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    def act() -> ModelVersion:
        with session.begin_nested():
            return service.promote_model(session, actor, model_id=model_id, comment=comment)

    return _decide(request, model_id, act, _PROMOTED)


@router.post("/models/{model_id:int}/shadow")
def shadow(
    request: Request,
    model_id: int,
    session: DbSession,
    actor: Annotated[Actor, requires(Permission.MODELS_APPROVE)],
    on: Annotated[bool, Form()],
) -> Response:
    def act() -> ModelVersion:
        with session.begin_nested():
            return shadow_service.set_shadow(session, actor, model_id=model_id, on=on)

    return _decide(request, model_id, act, _SHADOW_ON if on else _SHADOW_OFF)
