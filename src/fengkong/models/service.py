"""Model registry use cases: register, validate, approve, reject, promote, roll back, list, and the
champion of a name. Callers own the transaction; nothing here commits.

Rules: a model moves draft → validated → approved → champion along ``MODEL_TRANSITIONS``; only
someone holding ``models:approve`` who did not register the model approves it (maker-checker);
promoting retires the name's previous champion in the same transaction (kept, never deleted);
rollback makes a retired former champion the champion again. Every step adds a
``model_decisions`` row and, through the flush hook, an audit entry and an outbox event.

The active expert scorecard of the risk area is listed too: :func:`sync_expert` records it under
its name, linked to its scorecard version. That name is the scoring name: its champion, expert or
trained, scores live customers (``fengkong.risk.model_scoring``), so a trained model promoted or
rolled back under it must use only the feature library's features.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fengkong.auth import service as auth_service
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from fengkong.kit.enums import TransitionError, check_transition
from fengkong.kit.time import business_today, utcnow
from fengkong.models import artefacts
from fengkong.models.artefacts import Artefact, ArtefactError
from fengkong.models.models import ModelDecision, ModelVersion
from fengkong.models.status import MODEL_TRANSITIONS, ModelAction, ModelKind, ModelState
from fengkong.records import field_error
from fengkong.risk import configs as risk_configs
from fengkong.risk.ledgers import load_ledgers
from fengkong.scoring.context import ContextTables
from fengkong.scoring.stability import ScoreDistribution
from fengkong.scoring.trained_scoring import unknown_features
from fengkong.settings import get_settings

if TYPE_CHECKING:
    from fengkong.risk.models import ScorecardVersion
    from fengkong.scoring.lab.ledger_sample import LedgerSample, SampleSettings

NAME_MAX_LENGTH = 100
EXPORT_FORMATS = ("json", "yaml", "xlsx", "sql")


class ModelNotFound(NotFound):
    code = "model_not_found"


class InvalidModel(ValidationFailed):
    code = "invalid_model"


class WrongModelState(Conflict):
    code = "wrong_model_state"


class OwnModel(PermissionDenied):
    code = "own_model"


class LabMissing(ValidationFailed):
    code = "lab_missing"


class UnscorableModel(InvalidModel):
    """A trained model of the scoring name whose features the feature library does not compute:
    as champion it could not score a single live customer."""

    code = "unscorable_model"


@dataclass(frozen=True, slots=True)
class Export:
    content: bytes
    media_type: str
    filename: str


# --- reading -------------------------------------------------------------------------------


def _model(session: Session, model_id: int, *, lock: bool = False) -> ModelVersion:
    model = session.get(
        ModelVersion, model_id, with_for_update=lock or None, populate_existing=lock or None
    )
    if model is None:
        raise ModelNotFound(
            f"no model {model_id}", details=[field_error("model_id", model_id, "unknown model")]
        )
    return model


def get_model(session: Session, actor: Actor, *, model_id: int) -> ModelVersion:
    auth_service.ensure_permission(actor, Permission.MODELS_READ)
    return _model(session, model_id)


def get_version(session: Session, actor: Actor, *, name: str, version: int) -> ModelVersion:
    auth_service.ensure_permission(actor, Permission.MODELS_READ)
    model = session.scalar(
        select(ModelVersion).where(ModelVersion.name == name, ModelVersion.version == version)
    )
    if model is None:
        raise ModelNotFound(
            f"no model {name} version {version}",
            details=[field_error("version", version, f"{name} has no such version")],
        )
    return model


def list_models(
    session: Session,
    actor: Actor,
    *,
    name: str | None = None,
    state: ModelState | None = None,
    kind: ModelKind | None = None,
) -> list[ModelVersion]:
    """Every registered version, by name then newest version first; the active expert scorecard
    is recorded first, so the list always holds the model scoring uses today."""
    auth_service.ensure_permission(actor, Permission.MODELS_READ)
    sync_expert(session, actor)
    query = select(ModelVersion).order_by(ModelVersion.name, ModelVersion.version.desc())
    if name is not None:
        query = query.where(ModelVersion.name == name)
    if state is not None:
        query = query.where(ModelVersion.state == state)
    if kind is not None:
        query = query.where(ModelVersion.kind == kind)
    return list(session.scalars(query))


def champion(session: Session, name: str) -> ModelVersion | None:
    """The champion of ``name`` (the model to score with), or ``None``."""
    return session.scalar(
        select(ModelVersion).where(
            ModelVersion.name == name, ModelVersion.state == ModelState.CHAMPION
        )
    )


def decisions(session: Session, actor: Actor, *, model_id: int) -> list[ModelDecision]:
    """The model's history, oldest first."""
    auth_service.ensure_permission(actor, Permission.MODELS_READ)
    return list(
        session.scalars(
            select(ModelDecision)
            .where(ModelDecision.model_version_id == model_id)
            .order_by(ModelDecision.id)
        )
    )


def is_author(actor: Actor, model: ModelVersion) -> bool:
    if actor.user_id is not None and model.author_id is not None:
        return actor.user_id == model.author_id
    return actor.username == model.author


def can_approve(actor: Actor, model: ModelVersion) -> bool:
    """Whether ``actor`` may approve ``model`` now (the page shows the form only then)."""
    return (
        actor.can(Permission.MODELS_APPROVE)
        and model.state is ModelState.VALIDATED
        and not is_author(actor, model)
    )


# --- changing state ------------------------------------------------------------------------


def _move(
    session: Session,
    actor: Actor,
    model: ModelVersion,
    target: ModelState,
    action: ModelAction,
    comment: str | None,
) -> None:
    before = model.state
    try:
        model.state = check_transition(before, target, MODEL_TRANSITIONS)
    except TransitionError as error:
        raise WrongModelState(
            f"model {model.name} v{model.version} is {before.value}: it cannot become "
            f"{target.value}",
            details=[field_error("state", before, str(error))],
        ) from error
    _decide(session, actor, model, action, before, target, comment)


def _decide(
    session: Session,
    actor: Actor,
    model: ModelVersion,
    action: ModelAction,
    before: ModelState | None,
    after: ModelState,
    comment: str | None,
) -> None:
    session.add(
        ModelDecision(
            model_version_id=model.id,
            action=action,
            from_state=before.value if before is not None else None,
            to_state=after,
            decided_by=actor.username,
            decided_by_id=actor.user_id,
            role=actor.role.value,
            comment=(comment or "").strip() or None,
        )
    )


def _next_version(session: Session, name: str) -> int:
    latest = session.scalar(select(func.max(ModelVersion.version)).where(ModelVersion.name == name))
    return (latest or 0) + 1


def _checked_name(name: str) -> str:
    cleaned = (name or "").strip()
    if not cleaned or len(cleaned) > NAME_MAX_LENGTH or any(c in cleaned for c in "/\\\n\r\t"):
        raise InvalidModel(
            "a model name is 1 to 100 characters, without slashes or line breaks",
            details=[field_error("name", name, "invalid model name")],
        )
    return cleaned


def _invalid(error: ArtefactError) -> InvalidModel:
    return InvalidModel(str(error), details=[field_error(error.field, None, str(error))])


def register_artefact(
    session: Session, actor: Actor, *, name: str, artefact: Artefact, notes: str | None = None
) -> ModelVersion:
    """Store a trained model as the next version of ``name``, as a draft."""
    auth_service.ensure_permission(actor, Permission.MODELS_WRITE)
    cleaned = _checked_name(name)
    model = ModelVersion(
        name=cleaned,
        version=_next_version(session, cleaned),
        kind=artefact.kind,
        state=ModelState.DRAFT,
        artefact=artefact.artefact,
        artefact_metadata=artefact.metadata,
        artefact_sha256=artefact.sha256,
        data_hash=artefact.data_hash,
        features=artefact.features,
        parameters=artefact.parameters,
        metrics=artefact.metrics,
        report_html=artefact.report_html,
        author=actor.username,
        author_id=actor.user_id,
        notes=(notes or "").strip() or None,
    )
    session.add(model)
    session.flush()
    _decide(session, actor, model, ModelAction.REGISTER, None, ModelState.DRAFT, notes)
    session.flush()
    return model


def register_model(
    session: Session,
    actor: Actor,
    *,
    name: str,
    kind: ModelKind,
    artefact: str,
    metadata: dict[str, Any] | None = None,
    metrics: dict[str, Any] | None = None,
    report_html: str | None = None,
    notes: str | None = None,
) -> ModelVersion:
    """Register a scorecard (its ``scorecard.json``) or a LightGBM model (``model.txt`` and the
    ``model.json`` metadata), with the validation summary and report the lab wrote."""
    auth_service.ensure_permission(actor, Permission.MODELS_WRITE)
    try:
        described = artefacts.describe(
            kind, artefact, metadata, metrics=metrics, report_html=report_html
        )
    except ArtefactError as error:
        raise _invalid(error) from error
    return register_artefact(session, actor, name=name, artefact=described, notes=notes)


def register_directory(
    session: Session, actor: Actor, *, directory: Path, name: str, notes: str | None = None
) -> ModelVersion:
    """Register what ``fengkong model train --out DIR`` wrote into ``directory``."""
    auth_service.ensure_permission(actor, Permission.MODELS_WRITE)
    try:
        described = artefacts.read_training_output(directory)
    except ArtefactError as error:
        raise _invalid(error) from error
    return register_artefact(session, actor, name=name, artefact=described, notes=notes)


def validate_model(
    session: Session,
    actor: Actor,
    *,
    model_id: int,
    data: Path | None = None,
    target: str | None = None,
    bad_value: str | None = None,
    comment: str | None = None,
) -> ModelVersion:
    """Validate a draft (or re-validate a validated model). With ``data`` (a labelled CSV/XLSX)
    the model scores it and the hold-out metrics (AUC, Gini, KS, Brier, calibration) and PD
    distribution (the drift reference when the lab stored none) are stored under
    ``metrics["holdout"]``; without, the cross-validation summary registered with the model is
    accepted as its validation."""
    auth_service.ensure_permission(actor, Permission.MODELS_WRITE)
    model = _model(session, model_id, lock=True)
    if model.kind is ModelKind.EXPERT:
        raise WrongModelState(
            "an expert scorecard is configured, not trained: it has no validation here",
            details=[field_error("kind", model.kind, "expert scorecards are not validated")],
        )
    if data is not None:
        if not target or bad_value is None:
            raise InvalidModel(
                "validating on data needs the target column and the bad value",
                details=[field_error("target", target, "name the target column and bad value")],
            )
        holdout = _holdout_metrics(model, data, target=target, bad_value=bad_value)
        model.metrics = {**(model.metrics or {}), "holdout": holdout}
    elif not model.metrics or "auc" not in model.metrics:
        raise InvalidModel(
            "the model was registered without a validation summary: validate it on labelled data",
            details=[field_error("data", None, "a labelled data file is needed")],
        )
    _move(session, actor, model, ModelState.VALIDATED, ModelAction.VALIDATE, comment)
    model.validated_by = actor.username
    model.validated_at = utcnow()
    session.flush()
    return model


def _lab_error(error: Exception, default_field: str) -> InvalidModel:
    column = getattr(error, "column", None)
    return InvalidModel(
        str(error),
        details=[field_error(column or default_field, column, str(error))],
    )


def load_trained(model: ModelVersion) -> Any:
    """The lab's model object for a stored scorecard or LightGBM artefact (needs the ``lab``
    extra); nothing is unpickled."""
    try:
        from fengkong.scoring.lab.export import scorecard_from_dict
        from fengkong.scoring.lab.gbm import load_gbm
    except ImportError as error:  # pragma: no cover - the dev install has the extra
        raise LabMissing(
            f"the model lab is not installed ({error.name} is missing): pip install 'fengkong[lab]'"
        ) from error
    if model.kind is ModelKind.SCORECARD:
        return scorecard_from_dict(json.loads(model.artefact))
    if model.kind is ModelKind.GBM:
        return load_gbm(model.artefact, model.artefact_metadata or {})
    raise InvalidModel(
        "an expert scorecard is scored by the risk area",
        details=[field_error("kind", model.kind, "not a trained model")],
    )


def _holdout_metrics(
    model: ModelVersion, data: Path, *, target: str, bad_value: str
) -> dict[str, Any]:
    trained = load_trained(model)
    from fengkong.scoring.lab import validation
    from fengkong.scoring.lab.data import LabError, labelled_table, read_frame

    try:
        frame = read_frame(data).rename(columns=lambda name: str(name).strip())
        table = labelled_table(frame, target=target, bad_value=bad_value)
        missing = [name for name in model.features if name not in frame.columns]
        if missing:
            raise LabError(f"the data lacks the model's column {missing[0]!r}", column=missing[0])
        features = frame[list(model.features)].copy()
        for name in features.columns:
            if features[name].dtype == object:
                features[name] = features[name].map(
                    lambda v: v.strip() if isinstance(v, str) else v
                )
        predicted = trained.predict_pd(features)
        distribution = ScoreDistribution.of(predicted, variable="pd", source="holdout")
        measured = validation.evaluate(table.labels, predicted)
        calibration = validation.calibration_table(table.labels, predicted)
    except LabError as error:
        raise _lab_error(error, "data") from error
    return {
        **measured.to_dict(),
        "data_hash": table.data_hash,
        "file": data.name,
        "target": target,
        "bad_value": str(bad_value),
        "validated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "distribution": distribution.to_dict(),
        "calibration": [
            {
                "band": row.band,
                "count": row.count,
                "bads": row.bads,
                "predicted_pd": row.predicted_pd,
                "observed_rate": row.observed_rate,
                "p_value": row.p_value,
            }
            for row in calibration
        ],
    }


# --- training data from the ledgers ----------------------------------------------------------


def ledger_training_sample(
    session: Session, actor: Actor, *, settings: SampleSettings, as_of: date | None = None
) -> LedgerSample:
    """The model lab's training sample from the ledgers as known on ``as_of`` (default: today
    where the business is), archived customers included so that ended relationships count.
    Observation dates, label, exclusions and the leakage guard: ``scoring.lab.ledger_sample``."""
    auth_service.ensure_permission(actor, Permission.MODELS_WRITE)
    try:
        from fengkong.scoring.lab.data import LabError
        from fengkong.scoring.lab.ledger_sample import build_ledger_sample
    except ImportError as error:  # pragma: no cover - the dev install has the extra
        raise LabMissing(
            f"the model lab is not installed ({error.name} is missing): pip install 'fengkong[lab]'"
        ) from error
    day = as_of or business_today(get_settings().zone)
    ledgers = load_ledgers(session, as_of=day, include_archived=True)
    try:
        return build_ledger_sample(ledgers, ContextTables.default(), settings, known_until=day)
    except LabError as error:
        raise _lab_error(error, "ledgers") from error


def approve_model(
    session: Session, actor: Actor, *, model_id: int, comment: str | None = None
) -> ModelVersion:
    """A validated model approved by someone holding ``models:approve`` who did not register it."""
    auth_service.ensure_permission(actor, Permission.MODELS_APPROVE)
    model = _model(session, model_id, lock=True)
    if is_author(actor, model):
        raise OwnModel(
            "you registered this model: another person must approve it (maker-checker)",
            details=[field_error("author", model.author, "the author cannot approve")],
        )
    _move(session, actor, model, ModelState.APPROVED, ModelAction.APPROVE, comment)
    model.approved_by = actor.username
    model.approved_by_id = actor.user_id
    model.approved_at = utcnow()
    session.flush()
    return model


def reject_model(session: Session, actor: Actor, *, model_id: int, comment: str) -> ModelVersion:
    """End a draft, validated or approved model, saying why."""
    auth_service.ensure_permission(actor, Permission.MODELS_APPROVE)
    if not (comment or "").strip():
        raise InvalidModel(
            "say why the model is rejected",
            details=[field_error("comment", comment, "a rejection needs a comment")],
        )
    model = _model(session, model_id, lock=True)
    _move(session, actor, model, ModelState.REJECTED, ModelAction.REJECT, comment)
    model.shadow = False
    session.flush()
    return model


def _crown(
    session: Session,
    actor: Actor,
    model: ModelVersion,
    action: ModelAction,
    comment: str | None,
) -> ModelVersion:
    """Retire the name's champion (if another) and make ``model`` champion, in that order so the
    one-champion index never sees two. A champion decides, so it stops scoring in the shadow."""
    _ensure_scorable(session, actor, model)
    current = session.scalar(
        select(ModelVersion)
        .where(ModelVersion.name == model.name, ModelVersion.state == ModelState.CHAMPION)
        .with_for_update()
    )
    now = utcnow()
    if current is not None and current.id != model.id:
        _move(
            session,
            actor,
            current,
            ModelState.RETIRED,
            ModelAction.RETIRE,
            f"replaced by version {model.version}",
        )
        current.retired_at = now
        session.flush()
    _move(session, actor, model, ModelState.CHAMPION, action, comment)
    model.promoted_at = now
    model.retired_at = None
    model.shadow = False
    session.flush()
    return model


def scoring_name(session: Session, actor: Actor) -> str | None:
    """The model name whose champion scores live customers: the active expert scorecard's name
    (``None`` while no scorecard is active)."""
    try:
        return risk_configs.ensure_active(session, actor).scorecard_row.name
    except risk_configs.ConfigVersionNotFound:
        return None


def _ensure_scorable(session: Session, actor: Actor, model: ModelVersion) -> None:
    if model.kind is ModelKind.EXPERT or model.name != scoring_name(session, actor):
        return
    unknown = unknown_features(model.features)
    if unknown:
        raise UnscorableModel(
            f"{model.name} v{model.version} cannot score live customers: the feature library "
            f"does not compute {', '.join(unknown)} (the features are listed in "
            "docs/features.md)",
            details=[
                field_error("features", name, "not a feature of the library") for name in unknown
            ],
        )


def promote_model(
    session: Session, actor: Actor, *, model_id: int, comment: str | None = None
) -> ModelVersion:
    """An approved model becomes its name's champion; the previous champion is retired, kept."""
    auth_service.ensure_permission(actor, Permission.MODELS_APPROVE)
    model = _model(session, model_id, lock=True)
    if model.state is not ModelState.APPROVED:
        raise WrongModelState(
            f"model {model.name} v{model.version} is {model.state.value}: only an approved "
            "model is promoted",
            details=[field_error("state", model.state, "approve the model first")],
        )
    return _crown(session, actor, model, ModelAction.PROMOTE, comment)


def rollback(
    session: Session, actor: Actor, *, name: str, to_version: int, comment: str | None = None
) -> ModelVersion:
    """Make an earlier champion of ``name`` the champion again; the current one is retired."""
    auth_service.ensure_permission(actor, Permission.MODELS_APPROVE)
    target = get_version(session, actor, name=name, version=to_version)
    target = _model(session, target.id, lock=True)
    if target.state is ModelState.CHAMPION:
        raise WrongModelState(
            f"{name} version {to_version} is the champion already",
            details=[field_error("version", to_version, "already champion")],
        )
    if target.state is not ModelState.RETIRED or target.promoted_at is None:
        raise WrongModelState(
            f"{name} version {to_version} was never champion: only an earlier champion can "
            "return (promote an approved model instead)",
            details=[field_error("version", to_version, "not an earlier champion")],
        )
    return _crown(session, actor, target, ModelAction.ROLLBACK, comment)


# --- the expert scorecard ------------------------------------------------------------------


def sync_expert(
    session: Session, actor: Actor, active: ScorecardVersion | None = None
) -> ModelVersion | None:
    """Record the risk area's active expert scorecard as an entry of its name (linked to its
    scorecard version, once per version) and crown it when the risk area activated it after
    the name's champion took over: activating a scorecard version is a decision to score with
    it. A trained champion promoted (or an expert entry rolled back) since stays champion.
    Returns the active scorecard's entry; ``None`` when no scorecard is active.

    ``active`` is the active scorecard version when the caller has just read it (a scoring
    run), so that every job of the event consumer does not read the configurations twice."""
    row = active
    if row is None:
        try:
            row = risk_configs.ensure_active(session, actor).scorecard_row
        except risk_configs.ConfigVersionNotFound:
            return None  # scorecards are stored but none is active: nothing scores today
    found = session.scalar(
        select(ModelVersion).where(
            ModelVersion.kind == ModelKind.EXPERT, ModelVersion.scorecard_version_id == row.id
        )
    )
    if found is not None and found.state is ModelState.CHAMPION:
        return found
    current = champion(session, row.name)
    activated_since = current is None or (
        row.activated_at is not None
        and current.promoted_at is not None
        and row.activated_at > current.promoted_at
    )
    if found is not None:
        if activated_since:
            # The risk area activated this scorecard version (again): follow it.
            action = ModelAction.ROLLBACK if found.promoted_at else ModelAction.PROMOTE
            return _crown(session, actor, found, action, "activated in risk scoring")
        return found
    features = list(risk_configs.parse_scorecard(row.yaml_text).features)
    model = ModelVersion(
        name=row.name,
        version=_next_version(session, row.name),
        kind=ModelKind.EXPERT,
        state=ModelState.APPROVED,
        artefact=row.yaml_text,
        artefact_metadata=None,
        artefact_sha256=row.sha256,
        data_hash=None,
        features=features,
        parameters={"scorecard_version": row.version},
        metrics=None,
        report_html=None,
        scorecard_version_id=row.id,
        author=row.created_by,
        author_id=None,
        approved_by=actor.username,
        approved_at=row.activated_at or utcnow(),
        notes=f"expert scorecard {row.name} v{row.version}, active in risk scoring",
    )
    session.add(model)
    session.flush()
    _decide(
        session,
        actor,
        model,
        ModelAction.REGISTER,
        None,
        ModelState.APPROVED,
        "the active expert scorecard, approved when it was activated in risk scoring",
    )
    if not activated_since:
        session.flush()
        return model
    return _crown(session, actor, model, ModelAction.PROMOTE, "in use by risk scoring")


# --- exports -------------------------------------------------------------------------------


def export_model(session: Session, actor: Actor, *, model_id: int, format: str) -> Export:
    """A scorecard as JSON, YAML, an Excel table or a SQL ``CASE`` expression."""
    auth_service.ensure_permission(actor, Permission.MODELS_READ)
    model = _model(session, model_id)
    if format not in EXPORT_FORMATS:
        raise InvalidModel(
            f"unknown export format {format!r}; use one of {', '.join(EXPORT_FORMATS)}",
            details=[field_error("format", format, "unknown format")],
        )
    if model.kind is not ModelKind.SCORECARD:
        raise InvalidModel(
            f"only trained scorecards export; {model.name} v{model.version} is {model.kind.value}",
            details=[field_error("kind", model.kind, "not a scorecard")],
        )
    card = load_trained(model)
    from fengkong.scoring.lab import export

    stem = f"{model.name}-v{model.version}"
    if format == "json":
        text = export.scorecard_to_json(card)
        return Export(text.encode("utf-8"), "application/json", f"{stem}.json")
    if format == "yaml":
        text = export.scorecard_to_yaml(card)
        return Export(text.encode("utf-8"), "application/yaml", f"{stem}.yaml")
    if format == "sql":
        text = export.scorecard_to_sql(card) + "\n"
        return Export(text.encode("utf-8"), "application/sql", f"{stem}.sql")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "scorecard.xlsx"
        export.scorecard_to_xlsx(card, path)
        content = path.read_bytes()
    return Export(
        content,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        f"{stem}.xlsx",
    )
