"""Which model scores live customers, and the shadow challengers that score beside it.

The scoring model name is the active expert scorecard's name (``fengkong-expert`` as shipped):
the name :func:`fengkong.models.service.sync_expert` registers the expert scorecard under. Its
champion decides how customers are scored: an expert champion with its own scorecard version, a
trained scorecard or LightGBM champion from the same feature table
(:mod:`fengkong.scoring.trained_scoring`), the active expert scorecard's knock-outs still
applying. A trained model meant to score live customers is registered under that name.

Shadow challengers (``model_versions.shadow``, validated or approved models of the scoring name)
score the same customers in every scoring run; their verdicts go to ``shadow_scores`` only and
never reach ratings, events, alerts, limits or credit checks.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import polars as pl
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.errors import Conflict
from fengkong.kit.bulk import insert_rows
from fengkong.kit.time import utcnow
from fengkong.models import service as models_service
from fengkong.models.models import ModelVersion
from fengkong.models.status import ModelKind, ModelState
from fengkong.receivables.models import Invoice, Payment, PaymentAllocation
from fengkong.receivables.status import InvoiceStatus
from fengkong.risk import configs
from fengkong.risk.models import RiskScore, ScorecardVersion, ShadowScore
from fengkong.scoring.grading import MasterScale
from fengkong.scoring.scorecard import ScoreBatch, Scorecard
from fengkong.scoring.trained_scoring import TrainedScores, score_trained

if TYPE_CHECKING:
    from fengkong.scoring.trained_scoring import TrainedModel

SHADOW_STATES = (ModelState.VALIDATED, ModelState.APPROVED)
DEFAULT_DAYS_PAST_DUE = 90
# An invoice still open by at most this share of its amount on the day it would turn 90 days
# past due is a residue (a bank charge, rounding), not a default.
RESIDUE_SHARE = 0.01
_CHUNK = 1_000
_LOADED_MAX = 8

logger = logging.getLogger(__name__)


class NoChampion(Conflict):
    code = "no_champion"


@dataclass(frozen=True, slots=True)
class ScoringModel:
    """The champion that scores, the expert scorecard version it scores with (an expert
    champion) or whose knock-outs apply (a trained one), and the trained model when there is
    one."""

    model: ModelVersion
    scorecard_row: ScorecardVersion
    scorecard: Scorecard
    trained: TrainedModel | None

    @property
    def label(self) -> str:
        return f"{self.model.name} v{self.model.version} ({self.model.kind.value})"


_loaded: dict[str, Any] = {}
_loaded_lock = threading.Lock()


def trained_model(model: ModelVersion) -> TrainedModel:
    """The lab model of a registry entry, rebuilt once per process and artefact: the event
    consumer scores a few customers at a time and must not parse trees every pass."""
    with _loaded_lock:
        found = _loaded.get(model.artefact_sha256)
    if found is None:
        found = models_service.load_trained(model)
        with _loaded_lock:
            if len(_loaded) >= _LOADED_MAX:
                _loaded.clear()
            _loaded[model.artefact_sha256] = found
    return found  # type: ignore[no-any-return]


def scoring_model(session: Session, actor: Actor, active: configs.ActiveConfig) -> ScoringModel:
    """The champion of the scoring name, once the active expert scorecard is in the registry
    (the active scorecard's own entry when it is the champion, without asking again)."""
    entry = models_service.sync_expert(session, actor, active.scorecard_row)
    name = active.scorecard_row.name
    if entry is not None and entry.state is ModelState.CHAMPION:
        champion: ModelVersion | None = entry
    else:
        champion = models_service.champion(session, name)
    if champion is None:
        raise NoChampion(f"model {name} has no champion: promote a model or roll one back")
    if champion.kind is not ModelKind.EXPERT:
        return ScoringModel(
            champion, active.scorecard_row, active.scorecard, trained_model(champion)
        )
    if champion.scorecard_version_id == active.scorecard_row.id:
        return ScoringModel(champion, active.scorecard_row, active.scorecard, None)
    # A rollback brought back an earlier expert entry: it scores with its own version.
    row = session.get(ScorecardVersion, champion.scorecard_version_id)
    if row is None:  # pragma: no cover - a restricted foreign key
        raise NoChampion(f"the scorecard version of {name} v{champion.version} is gone")
    return ScoringModel(champion, row, configs.parse_scorecard(row.yaml_text), None)


# --- shadow challengers ------------------------------------------------------------------------


def shadow_challengers(session: Session, name: str) -> list[ModelVersion]:
    """The trained models of ``name`` flagged to score in the shadow, oldest version first."""
    return list(
        session.scalars(
            select(ModelVersion)
            .where(
                ModelVersion.name == name,
                ModelVersion.shadow.is_(True),
                ModelVersion.state.in_(SHADOW_STATES),
                ModelVersion.kind != ModelKind.EXPERT,
            )
            .order_by(ModelVersion.version)
        )
    )


def record_shadow_scores(
    session: Session,
    *,
    name: str,
    features: pl.DataFrame,
    scale: MasterScale,
    scorecard: Scorecard,
    expert: ScoreBatch,
    day: date,
    everyone: bool,
) -> int:
    """Score the run's customers with every shadow challenger of ``name`` and store the
    verdicts as of ``day``, replacing any of that day; returns how many challengers scored.

    A challenger that fails is logged with its traceback and skipped, its rows rolled back to a
    savepoint: a model that decides nothing must not stop the champion's run."""
    challengers = shadow_challengers(session, name)
    if not challengers or features.height == 0:
        return 0
    customer_ids = features.get_column("customer_id").to_list()
    now = utcnow()
    scored = 0
    for challenger in challengers:
        try:
            with session.begin_nested():
                scores = score_trained(trained_model(challenger), features, scale, expert)
                _clear_shadow_day(session, challenger.id, day, None if everyone else customer_ids)
                insert_rows(
                    session.connection(),
                    ShadowScore.__table__,  # type: ignore[arg-type]
                    _shadow_rows(challenger.id, scores, scorecard, expert, day, now),
                )
        except Exception:
            logger.exception(
                "shadow model %s v%s (id %s) failed to score; the champion's run goes on",
                challenger.name,
                challenger.version,
                challenger.id,
            )
            continue
        scored += 1
    return scored


def _clear_shadow_day(
    session: Session, model_id: int, day: date, customer_ids: Sequence[int] | None
) -> None:
    base = delete(ShadowScore).where(
        ShadowScore.model_version_id == model_id, ShadowScore.as_of == day
    )
    if customer_ids is None:
        session.execute(base)
        return
    for start in range(0, len(customer_ids), _CHUNK):
        chunk = customer_ids[start : start + _CHUNK]
        session.execute(base.where(ShadowScore.customer_id.in_(chunk)))


def _shadow_rows(
    model_id: int,
    scores: TrainedScores,
    scorecard: Scorecard,
    expert: ScoreBatch,
    day: date,
    now: Any,
) -> list[dict[str, Any]]:
    rows = []
    for row in range(len(scores)):
        _, reasons = scores.explained(row, scorecard, expert)
        rows.append(
            {
                "model_version_id": model_id,
                "customer_id": int(scores.customer_id[row]),
                "as_of": day,
                "score": float(scores.score[row]),
                "pd": float(scores.pd[row]),
                "grade": str(scores.grade[row]),
                "reasons": reasons,
                "computed_at": now,
            }
        )
    return rows


# --- what the comparison reads -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Verdict:
    """One model's score, PD and grade of a customer."""

    score: float
    pd: float
    grade: str


def latest_shadow_day(session: Session, model_id: int) -> date | None:
    return session.scalar(
        select(func.max(ShadowScore.as_of)).where(ShadowScore.model_version_id == model_id)
    )


def shadow_verdicts(session: Session, model_id: int, day: date) -> dict[int, Verdict]:
    rows = session.execute(
        select(ShadowScore.customer_id, ShadowScore.score, ShadowScore.pd, ShadowScore.grade).where(
            ShadowScore.model_version_id == model_id, ShadowScore.as_of == day
        )
    )
    return {row.customer_id: Verdict(row.score, row.pd, row.grade) for row in rows}


def verdicts_in_effect(
    session: Session, *, model_id: int, day: date, customer_ids: Collection[int]
) -> dict[int, Verdict]:
    """Each customer's stored score in effect on ``day`` (the latest as of it: an unchanged
    customer keeps its earlier row), kept only where ``model_id`` made it."""
    if not customer_ids:
        return {}
    rank = (
        func.row_number()
        .over(
            partition_by=RiskScore.customer_id,
            order_by=(RiskScore.as_of.desc(), RiskScore.id.desc()),
        )
        .label("rank")
    )
    wanted = set(customer_ids)
    ranked = (
        select(
            RiskScore.customer_id,
            RiskScore.score,
            RiskScore.pd,
            RiskScore.grade,
            RiskScore.model_version_id,
            rank,
        )
        .where(RiskScore.as_of <= day)
        .subquery()
    )
    statement = select(ranked).where(ranked.c.rank == 1, ranked.c.model_version_id == model_id)
    if len(wanted) <= _CHUNK:
        statement = statement.where(ranked.c.customer_id.in_(sorted(wanted)))
    return {
        row.customer_id: Verdict(row.score, row.pd, row.grade)
        for row in session.execute(statement)
        if row.customer_id in wanted
    }


def defaulted_between(
    session: Session,
    *,
    customer_ids: Collection[int],
    after: date,
    until: date,
    days_past_due: int = DEFAULT_DAYS_PAST_DUE,
) -> set[int]:
    """The customers with an invoice that reached ``days_past_due`` days past due in
    (``after``, ``until``]: still open, beyond a residue, on its due date plus that many days.
    Cancelled and archived invoices and archived payments do not count."""
    first_due = after - timedelta(days=days_past_due) + timedelta(days=1)
    last_due = until - timedelta(days=days_past_due)
    if last_due < first_due or not customer_ids:
        return set()
    wanted = set(customer_ids)
    invoices = [
        row
        for row in session.execute(
            select(Invoice.id, Invoice.customer_id, Invoice.amount_minor, Invoice.due_date).where(
                Invoice.due_date >= first_due,
                Invoice.due_date <= last_due,
                Invoice.status != InvoiceStatus.CANCELLED,
                Invoice.archived_at.is_(None),
            )
        )
        if row.customer_id in wanted
    ]
    paid = _paid_by_deadline(session, invoices, days_past_due)
    return {
        row.customer_id
        for row in invoices
        if row.amount_minor - paid.get(row.id, 0) > RESIDUE_SHARE * row.amount_minor
    }


def _paid_by_deadline(session: Session, invoices: Sequence[Any], days: int) -> Mapping[int, int]:
    """Minor units allocated to each invoice from payments received by its due date + ``days``."""
    deadline = {row.id: row.due_date + timedelta(days=days) for row in invoices}
    ids = list(deadline)
    paid: dict[int, int] = {}
    for start in range(0, len(ids), _CHUNK):
        rows = session.execute(
            select(PaymentAllocation.invoice_id, PaymentAllocation.amount_minor, Payment.paid_on)
            .join(Payment, Payment.id == PaymentAllocation.payment_id)
            .where(
                PaymentAllocation.invoice_id.in_(ids[start : start + _CHUNK]),
                Payment.archived_at.is_(None),
            )
        )
        for row in rows:
            if row.paid_on <= deadline[row.invoice_id]:
                paid[row.invoice_id] = paid.get(row.invoice_id, 0) + row.amount_minor
    return paid
