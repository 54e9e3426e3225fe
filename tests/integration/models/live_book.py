"""Live books for the drift tests: a champion as the registry holds it, and customers rated by
scores it made, with PDs of a known shape."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

import numpy as np
from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.auth.models import User
from fengkong.models.models import ModelVersion
from fengkong.models.status import ModelKind, ModelState
from fengkong.risk import configs as risk_configs
from fengkong.risk.models import CustomerRating, RiskScore, ScoreTrigger
from fengkong.scoring.stability import ScoreDistribution
from tests import factories

SYSTEM = Actor.system("test")
DAY = date(2026, 12, 1)
CUSTOMERS = 60
# The development sample: PDs spread evenly from 1 % to 20 %.
DEVELOPMENT = np.linspace(0.01, 0.20, 2000)


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 1, 0, tzinfo=UTC)


def spread(low: float, high: float, n: int = CUSTOMERS) -> list[float]:
    """``n`` PDs evenly between ``low`` and ``high``: a live book of a known shape."""
    return [float(v) for v in np.linspace(low, high, n)]


STABLE = spread(0.012, 0.198)
SHIFTED = spread(0.15, 0.40)


def champion(
    session: Session,
    author: User,
    *,
    name: str = "pd",
    kind: ModelKind = ModelKind.SCORECARD,
    metrics: dict[str, object] | None = None,
) -> ModelVersion:
    """A champion as the registry holds it (the artefact is not read by the drift job)."""
    model = ModelVersion(
        name=name,
        version=1,
        kind=kind,
        state=ModelState.CHAMPION,
        artefact="{}",
        artefact_sha256="0" * 64,
        features=["days_past_due_max"],
        parameters={},
        metrics=metrics,
        author=author.username,
        author_id=author.id,
        promoted_at=at(DAY - timedelta(days=30)),
    )
    session.add(model)
    session.flush()
    return model


def trained_champion(session: Session, author: User) -> ModelVersion:
    development = ScoreDistribution.of(DEVELOPMENT, variable="pd", source="training")
    return champion(
        session,
        author,
        metrics={"auc": 0.8, "ks": 0.5, "development_distribution": development.to_dict()},
    )


def book(session: Session, model: ModelVersion, pds: Sequence[float]) -> list[int]:
    """One customer per PD, each rated by a score ``model`` made; the customers' ids."""
    ids = []
    for pd_ in pds:
        customer = factories.customer()
        ids.append(customer.id)
        _rate(session, model, customer.id, pd_, 700 - 1000 * pd_)
    return ids


def rescore(
    session: Session, model: ModelVersion, ids: Sequence[int], pds: Sequence[float]
) -> None:
    """A new score for each customer, made by ``model``, which becomes its rating."""
    for customer_id, pd_ in zip(ids, pds, strict=True):
        _rate(session, model, customer_id, pd_, 700 - 1000 * pd_)


def _rate(
    session: Session, model: ModelVersion, customer_id: int, pd_: float, score: float
) -> None:
    active = risk_configs.ensure_active(session, SYSTEM)
    row = RiskScore(
        customer_id=customer_id,
        as_of=DAY,
        score=score,
        grade="C",
        risk_level="medium",
        pd=pd_,
        scorecard_version_id=active.scorecard_row.id,
        grade_scale_version_id=active.scale_row.id,
        model_version_id=model.id,
        inputs_hash=f"{customer_id}-{pd_}",
        factors=[],
        reasons=[],
        trigger=ScoreTrigger.MANUAL,
        computed_by="test",
    )
    session.add(row)
    session.flush()
    rating = session.get(CustomerRating, customer_id)
    if rating is None:
        rating = CustomerRating(customer_id=customer_id, as_of=DAY)
        session.add(rating)
    rating.risk_score_id = row.id
    rating.inputs_hash, rating.model_version_id = row.inputs_hash, row.model_version_id
    rating.score = score
    rating.grade = "C"
    rating.pd = pd_
    session.flush()
