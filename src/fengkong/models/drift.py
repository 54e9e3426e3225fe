"""Drift watch: once a day, the PSI of each champion's live score distribution against its
development distribution; crossing the threshold alerts the model's owner. Callers own the
transaction; nothing here commits.

* **Development distribution** (the reference): the decile edges and bin shares the lab stored
  with the model — of the final model's PD on its training rows (``validation.json``,
  ``development_distribution``), else of its PD on the hold-out data it was validated on
  (``metrics.holdout.distribution``). A model without one — the expert scorecard, configured
  rather than trained, or a model registered without the lab's summary — takes the live
  distribution of its first check with enough scores as its reference: a ``baseline`` check
  stores that snapshot, and later checks (after a rollback too) compare against it.
* **Live distribution**: the current score of every customer not archived whose latest score the
  champion made (``risk_scores.model_version_id``). A trained model's PD is binned; the expert
  scorecard's points are (its PD is one value per grade, too coarse for deciles).
* **Verdict**: PSI below 0.10 ``stable``, up to the threshold (``FENGKONG_MODEL_DRIFT_PSI``,
  default 0.25) ``watch``, above it ``drifted``; fewer live scores than
  ``FENGKONG_MODEL_DRIFT_MIN_SCORES`` are not judged (``too_few``).
* **Alerts only on flips**: the check that moves a champion into ``drifted`` from any other
  verdict notifies its author and the risk managers (topic ``model.drifted``, through the
  notifications area, honouring each person's email preference) and records ``alerted_at``;
  later checks that stay drifted alert nobody, and a check back below the threshold re-arms it.
* One check per model and day: running again on the same day returns that day's check.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fengkong.auth import service as auth_service
from fengkong.auth.actor import Actor
from fengkong.auth.models import User
from fengkong.auth.roles import Permission, Role
from fengkong.customers.models import Customer
from fengkong.kit.time import utcnow
from fengkong.models.artefacts import DEVELOPMENT_DISTRIBUTION
from fengkong.models.models import ModelDriftCheck, ModelVersion
from fengkong.models.status import DriftStatus, ModelKind, ModelState
from fengkong.notifications import service as notifications_service
from fengkong.risk.models import CustomerRating, RiskScore
from fengkong.scoring.stability import (
    PSI_WATCH,
    DistributionError,
    FloatArray,
    ScoreDistribution,
    measure_drift,
)
from fengkong.settings import get_settings

DRIFT_TOPIC = "model.drifted"
HOLDOUT_KEY = "distribution"
JUDGED = (DriftStatus.STABLE, DriftStatus.WATCH, DriftStatus.DRIFTED)


@dataclass(frozen=True, slots=True)
class DriftResult:
    """A champion's check of the day; ``created`` is false when it had been checked already."""

    model: ModelVersion
    check: ModelDriftCheck
    created: bool

    @property
    def alerted(self) -> bool:
        return self.created and self.check.alerted_at is not None


def verdict(psi: float, threshold: float) -> DriftStatus:
    if psi > threshold:
        return DriftStatus.DRIFTED
    return DriftStatus.WATCH if psi >= PSI_WATCH else DriftStatus.STABLE


def development_distribution(model: ModelVersion) -> ScoreDistribution | None:
    """The reference the lab stored with the model: training, else hold-out; ``None`` when
    neither is there (or is unreadable, which the registry refuses at registration)."""
    metrics = model.metrics or {}
    holdout = metrics.get("holdout")
    candidates = (
        metrics.get(DEVELOPMENT_DISTRIBUTION),
        holdout.get(HOLDOUT_KEY) if isinstance(holdout, dict) else None,
    )
    for document in candidates:
        if document is None:
            continue
        try:
            return ScoreDistribution.from_dict(document)
        except DistributionError:
            continue
    return None


def _baseline(session: Session, model: ModelVersion) -> ScoreDistribution | None:
    """The live snapshot a ``baseline`` check took as the model's reference, if any."""
    document = session.scalar(
        select(ModelDriftCheck.distribution)
        .where(
            ModelDriftCheck.model_version_id == model.id,
            ModelDriftCheck.status == DriftStatus.BASELINE,
        )
        .order_by(ModelDriftCheck.checked_on)
        .limit(1)
    )
    return ScoreDistribution.from_dict(document) if document is not None else None


def live_scores(session: Session, model: ModelVersion, variable: str) -> FloatArray:
    """The current ``pd`` or ``score`` of each customer not archived whose latest score the
    model made."""
    column = RiskScore.pd if variable == "pd" else RiskScore.score
    values = session.scalars(
        select(column)
        .select_from(CustomerRating)
        .join(RiskScore, RiskScore.id == CustomerRating.risk_score_id)
        .join(Customer, Customer.id == CustomerRating.customer_id)
        .where(RiskScore.model_version_id == model.id, Customer.archived_at.is_(None))
    ).all()
    return np.asarray(values, dtype=np.float64)


def _previous_verdict(session: Session, model: ModelVersion, today: date) -> DriftStatus | None:
    return session.scalar(
        select(ModelDriftCheck.status)
        .where(
            ModelDriftCheck.model_version_id == model.id,
            ModelDriftCheck.checked_on < today,
            ModelDriftCheck.status.in_(JUDGED),
        )
        .order_by(ModelDriftCheck.checked_on.desc())
        .limit(1)
    )


def _day_check(session: Session, model: ModelVersion, today: date) -> ModelDriftCheck | None:
    return session.scalar(
        select(ModelDriftCheck).where(
            ModelDriftCheck.model_version_id == model.id, ModelDriftCheck.checked_on == today
        )
    )


def _owners(session: Session, model: ModelVersion) -> list[int]:
    """The model's author (by id, else by username) and the active risk managers."""
    author = model.author_id
    if author is None:
        author = session.scalar(
            select(User.id).where(User.username == model.author, User.is_active.is_(True))
        )
    managers = session.scalars(
        select(User.id).where(User.role == Role.RISK_MANAGER, User.is_active.is_(True))
    ).all()
    return sorted({*managers, *([author] if author is not None else [])})


def _alert(
    session: Session, actor: Actor, model: ModelVersion, check: ModelDriftCheck, now: datetime
) -> None:
    psi = check.psi or 0.0
    notifications_service.notify(
        session,
        actor,
        topic=DRIFT_TOPIC,
        subject=(
            f"Model drift: {model.name} v{model.version} PSI {psi:.3f} above {check.threshold:.2f}"
        ),
        body=(
            f"The live score distribution of champion {model.name} v{model.version} "
            f"({model.kind.value}) has drifted from its {check.baseline_source} distribution: "
            f"PSI {psi:.4f} over {check.n_scores} customers on {check.checked_on}, threshold "
            f"{check.threshold:.2f}. Review the model (/models/{model.id}): recalibrate, retrain "
            "or roll back."
        ),
        recipients=_owners(session, model),
        payload={
            "model_id": model.id,
            "name": model.name,
            "version": model.version,
            "kind": model.kind.value,
            "check_id": check.id,
            "checked_on": check.checked_on.isoformat(),
            "psi": psi,
            "threshold": check.threshold,
            "n_scores": check.n_scores,
            "baseline_source": check.baseline_source,
        },
        dedupe_key=f"{DRIFT_TOPIC}:{check.id}",
        today=check.checked_on,
        now=now,
    )


def _measure(
    session: Session,
    actor: Actor,
    model: ModelVersion,
    *,
    today: date,
    threshold: float,
    min_scores: int,
    now: datetime,
) -> ModelDriftCheck:
    reference = development_distribution(model) or _baseline(session, model)
    if reference is not None:
        variable = reference.variable
    else:
        variable = "score" if model.kind is ModelKind.EXPERT else "pd"
    values = live_scores(session, model, variable)
    check = ModelDriftCheck(
        model_version_id=model.id,
        checked_on=today,
        checked_at=now,
        checked_by=actor.username,
        variable=variable,
        n_scores=len(values),
        threshold=threshold,
        baseline_source=reference.source if reference is not None else None,
    )
    if len(values) < min_scores:
        check.status = DriftStatus.TOO_FEW
    elif reference is None:
        snapshot = ScoreDistribution.of(
            values, variable=variable, source="live", as_of=today.isoformat()
        )
        check.status = DriftStatus.BASELINE
        check.baseline_source = snapshot.source
        check.distribution = snapshot.to_dict()
    else:
        drift = measure_drift(reference, values)
        check.psi = drift.psi
        check.bins = list(drift.bins)
        check.status = verdict(drift.psi, threshold)
    return check


def _check_model(
    session: Session,
    actor: Actor,
    model: ModelVersion,
    *,
    today: date,
    threshold: float,
    min_scores: int,
    now: datetime,
) -> DriftResult:
    existing = _day_check(session, model, today)
    if existing is not None:
        return DriftResult(model, existing, created=False)
    check = _measure(
        session,
        actor,
        model,
        today=today,
        threshold=threshold,
        min_scores=min_scores,
        now=now,
    )
    crossed = (
        check.status is DriftStatus.DRIFTED
        and _previous_verdict(session, model, today) is not DriftStatus.DRIFTED
    )
    if crossed:
        check.alerted_at = now
    try:
        with session.begin_nested():
            session.add(check)
    except IntegrityError:  # another process checked this model today first
        found = _day_check(session, model, today)
        if found is None:
            raise
        return DriftResult(model, found, created=False)
    if crossed:
        _alert(session, actor, model, check, now)
    return DriftResult(model, check, created=True)


def check_drift(
    session: Session,
    actor: Actor,
    *,
    today: date,
    threshold: float | None = None,
    min_scores: int | None = None,
    now: datetime | None = None,
) -> list[DriftResult]:
    """Check every champion (by name) once for ``today``: the daily job, ``fengkong model
    drift`` and ``POST /api/v1/models/drift``. The threshold and the minimum of live scores
    default to the settings."""
    auth_service.ensure_permission(actor, Permission.MODELS_WRITE)
    settings = get_settings()
    limit = threshold if threshold is not None else settings.model_drift_psi
    minimum = min_scores if min_scores is not None else settings.model_drift_min_scores
    moment = now or utcnow()
    champions = session.scalars(
        select(ModelVersion)
        .where(ModelVersion.state == ModelState.CHAMPION)
        .order_by(ModelVersion.name)
    ).all()
    return [
        _check_model(
            session,
            actor,
            model,
            today=today,
            threshold=limit,
            min_scores=minimum,
            now=moment,
        )
        for model in champions
    ]


def drift_history(
    session: Session, actor: Actor, *, model_id: int, limit: int = 365
) -> list[ModelDriftCheck]:
    """A model's drift checks, newest first."""
    auth_service.ensure_permission(actor, Permission.MODELS_READ)
    return list(
        session.scalars(
            select(ModelDriftCheck)
            .where(ModelDriftCheck.model_version_id == model_id)
            .order_by(ModelDriftCheck.checked_on.desc())
            .limit(limit)
        )
    )


def latest_checks(session: Session, model_ids: Sequence[int]) -> dict[int, ModelDriftCheck]:
    """Each model's latest drift check (the model list's drift column), in one query."""
    if not model_ids:
        return {}
    latest = (
        select(
            ModelDriftCheck.model_version_id,
            func.max(ModelDriftCheck.checked_on).label("checked_on"),
        )
        .where(ModelDriftCheck.model_version_id.in_(model_ids))
        .group_by(ModelDriftCheck.model_version_id)
        .subquery()
    )
    rows = session.scalars(
        select(ModelDriftCheck).join(
            latest,
            (ModelDriftCheck.model_version_id == latest.c.model_version_id)
            & (ModelDriftCheck.checked_on == latest.c.checked_on),
        )
    ).all()
    return {row.model_version_id: row for row in rows}
