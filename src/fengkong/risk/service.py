"""Risk use cases: score customers and keep their history, what-if scores, the questionnaire, and
rescoring the customers whose data changed. Callers own the transaction; nothing here commits.

History rule: a score is stored only when its inputs differ from the customer's latest stored
score. ``inputs_hash`` is the SHA-256 of the scorecard and grade-scale versions and the customer's
feature values, so scoring again with unchanged data and unchanged versions adds no row (the
latest row stays the answer); a new version of either configuration, or any feature that moved,
adds one.
"""

from __future__ import annotations

import hashlib
import math
import uuid
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from functools import partial
from typing import Any, NamedTuple, cast

import numpy as np
import numpy.typing as npt
import polars as pl
from sqlalchemy import ColumnElement, ScalarSelect, delete, func, select
from sqlalchemy.orm import Session

from fengkong import recorders
from fengkong.auth import service as auth_service
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.config_versions import ConfigStatus
from fengkong.customers import service as customers_service
from fengkong.customers.models import Customer
from fengkong.errors import NotFound, ValidationFailed
from fengkong.events.models import Event
from fengkong.kit.bulk import insert_rows
from fengkong.kit.id_sets import among, id_sets
from fengkong.kit.plain_rows import plain_rows
from fengkong.kit.time import business_today, utcnow
from fengkong.ledger_rows import LedgerRows
from fengkong.models.models import ModelVersion
from fengkong.records import field_error
from fengkong.risk import configs, model_scoring
from fengkong.risk.ledgers import load_ledgers
from fengkong.risk.models import (
    ConsumerPosition,
    CustomerRating,
    GradeScaleVersion,
    QualitativeAssessment,
    QualitativeQuestion,
    RiskScore,
    ScorecardVersion,
    ScoreTrigger,
)
from fengkong.scoring.context import ContextTables
from fengkong.scoring.distributed import EngineKind, open_engine, score_book
from fengkong.scoring.explain import Reason, explain
from fengkong.scoring.features import FEATURE_NAMES
from fengkong.scoring.grading import MasterScale, grade_scores
from fengkong.scoring.scorecard import NO_KNOCKOUT, ScoreBatch, Scorecard, score_features
from fengkong.scoring.trained_scoring import score_trained
from fengkong.settings import get_settings

RESCORED_EVENT = "customer_rescored"
RESCORE_CONSUMER = "rescore"
TOP_REASONS = 3
_CHUNK = 1_000  # customers per IN (…) on SQLite: well under its bound-parameter cap


class RiskNotScored(NotFound):
    code = "risk_not_scored"


class UnknownFeature(ValidationFailed):
    code = "unknown_feature"


@dataclass(frozen=True, slots=True)
class FactorResult:
    """One factor of a score: the feature's value (``None`` = missing), its band score 0..100,
    the points it earned, and why it lost points (``None`` when it lost none)."""

    feature: str
    value: float | None
    score: float
    points: float
    weight: float
    reason_code: str | None
    reason_zh: str | None
    reason_en: str | None


@dataclass(frozen=True, slots=True)
class ModelRef:
    """The registry entry that made a score: an expert scorecard, a trained scorecard or a
    LightGBM model (``kind``)."""

    id: int
    name: str
    version: int
    kind: str


@dataclass(frozen=True, slots=True)
class RiskResult:
    """A score with everything needed to show and explain it. Stored scores have an id, an as-of
    date and a computing time; a what-if has none of them."""

    score: float
    grade: str
    risk_level: str
    pd: float
    scorecard_name: str
    scorecard_version: int | None
    scale_name: str
    scale_version: int | None
    factors: tuple[FactorResult, ...]
    reasons: tuple[Reason, ...]
    knocked_out_by: str | None
    customer_id: int | None = None
    risk_score_id: int | None = None
    as_of: date | None = None
    trigger: ScoreTrigger | None = None
    computed_at: datetime | None = None
    computed_by: str | None = None
    model: ModelRef | None = None
    """``None`` for a what-if and for scores older than the registry link."""


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    risk_score_id: int
    as_of: date
    score: float
    grade: str
    risk_level: str
    pd: float
    scorecard_version: int
    scale_version: int
    trigger: ScoreTrigger
    computed_at: datetime
    model: ModelRef | None = None


@dataclass(frozen=True, slots=True)
class ScoringSummary:
    """What a scoring run did: ``stored`` new history rows, ``unchanged`` customers whose inputs
    matched their latest score, ``grade_changes`` customers whose grade moved (first grades
    included), and the grades of everyone scored."""

    as_of: date
    scored: int
    stored: int
    unchanged: int
    grade_changes: int
    grades: Mapping[str, int]
    scorecard_version: int
    scale_version: int
    model_version_id: int
    model: str
    """The champion that scored: name, version and kind."""
    shadow_models: int
    """Shadow challengers that scored the same customers beside it."""
    ratings: Mapping[int, Rating] = field(repr=False)
    """Each scored customer's rating once the run is done: a stream job hands them to the rules
    and exposure instead of their reading them again."""


@dataclass(frozen=True, slots=True)
class RescoreSummary:
    """One pass of the rescoring consumer: the events read up to ``last_event_id`` and the
    customers they named."""

    events: int
    last_event_id: int
    customers: int
    scoring: ScoringSummary | None


# --- scoring --------------------------------------------------------------------------------


def score_customers(
    session: Session,
    actor: Actor,
    *,
    customer_ids: Collection[int] | None = None,
    as_of: date | None = None,
    trigger: ScoreTrigger,
    engine: EngineKind = EngineKind.LOCAL,
    scheduler: str | None = None,
    partitions: int | None = None,
    rows: LedgerRows | None = None,
) -> ScoringSummary:
    """Score the customers (default: every customer not archived) as of ``as_of`` (default:
    today where the business is) with the active scorecard and grade scale. ``rows``: a stream
    job's shared read of these customers, which the ledgers are then built from.

    The features and scores are computed by ``engine`` over ``partitions`` partitions of the
    customers (default: in this process, in one piece; ``dask``: on the cluster whose
    ``scheduler`` address is given, else on a local one). Loading, explaining and storing stay
    here, in the caller's transaction, whatever the engine.

    Stores a history row for each customer whose inputs changed, updates their rating, writes
    one audit entry for the run and a ``customer_rescored`` event per customer whose grade
    changed (payload: old and new grade and score). Scoring everyone as of today also moves the
    rescoring consumer past every event so far: nothing is left for it to redo.
    """
    auth_service.ensure_permission(actor, Permission.RISK_WRITE)
    day = as_of or business_today(get_settings().zone)
    active = configs.ensure_active(session, actor)
    champion = model_scoring.scoring_model(session, actor, active)
    # Only a run of everyone as of today moves the rescoring consumer (read before the ledgers,
    # so that no event after the position goes unseen); the stream's runs skip the query.
    moves_position = customer_ids is None and as_of is None
    last_event_id = (session.scalar(select(func.max(Event.id))) or 0) if moves_position else 0
    ledgers = load_ledgers(session, as_of=day, customer_ids=customer_ids, rows=rows)
    with open_engine(engine, scheduler) as runner:
        scored = score_book(
            ledgers,
            day,
            ContextTables.default(),
            champion.scorecard,
            active.scale,
            engine=runner,
            partitions=partitions,
        )
    features = scored.select("customer_id", *FEATURE_NAMES)
    # Per-factor points and values for the explanations (and the knock-outs a trained champion
    # obeys), from the gathered features: the engine did the expensive part; re-scoring a
    # feature table costs milliseconds.
    batch = score_features(champion.scorecard, features)
    verdicts = _verdicts(champion, scored, features, batch, active.scale)
    hashes = _inputs_hashes(features, _hash_prefix(champion, active.scale_row.id))
    current = _current_ratings(session, verdicts.customer_id.tolist())
    changed = [
        row
        for row, customer_id in enumerate(verdicts.customer_id.tolist())
        if current.get(customer_id, _NO_RATING).inputs_hash != hashes[row]
        or current[customer_id].model_version_id is None
    ]
    score_ids = _store_scores(
        session, actor, active, champion, verdicts, hashes, changed, day, trigger
    )
    ratings = _update_ratings(
        session, verdicts, changed, score_ids, hashes, champion.model.id, day, current
    )
    events = _grade_change_events(verdicts, changed, score_ids, current, day)
    shadows = model_scoring.record_shadow_scores(
        session,
        name=champion.model.name,
        features=features,
        scale=active.scale,
        scorecard=champion.scorecard,
        expert=batch,
        day=day,
        everyone=customer_ids is None,
    )
    summary = ScoringSummary(
        as_of=day,
        scored=len(verdicts.score),
        stored=len(changed),
        unchanged=len(verdicts.score) - len(changed),
        grade_changes=len(events),
        grades=dict(sorted(Counter(verdicts.grade.tolist()).items())),
        scorecard_version=champion.scorecard_row.version,
        scale_version=active.scale_row.version,
        model_version_id=champion.model.id,
        model=champion.label,
        shadow_models=shadows,
        ratings=ratings,
    )
    if changed:
        recorders.record_bulk_load(
            session,
            action="score",
            entity_type=RiskScore.__tablename__,
            summary={
                "trigger": trigger.value,
                "as_of": day,
                "scored": summary.scored,
                "stored": summary.stored,
                "unchanged": summary.unchanged,
                "grade_changes": summary.grade_changes,
                "scorecard_version": summary.scorecard_version,
                "grade_scale_version": summary.scale_version,
                "model_version_id": summary.model_version_id,
                "model": summary.model,
            },
            events=events,
        )
    if moves_position:
        _move_position(session, RESCORE_CONSUMER, last_event_id)
    return summary


@dataclass(frozen=True, slots=True)
class _Rating:
    risk_score_id: int | None
    grade: str | None
    score: float | None
    pd: float | None
    as_of: date | None
    inputs_hash: str | None
    model_version_id: int | None


_NO_RATING = _Rating(None, None, None, None, None, None, None)


class Rating(NamedTuple):
    """A customer's current grade and PD, as its ``customer_ratings`` row holds them."""

    grade: str
    pd: float


@dataclass(frozen=True, slots=True)
class _Verdicts:
    """The champion's verdict on every scored customer, in the rows of the feature table;
    ``explain(row)`` gives a row's factors and top reasons as stored."""

    customer_id: npt.NDArray[np.int64]
    score: npt.NDArray[np.float64]
    grade: npt.NDArray[np.str_]
    pd: npt.NDArray[np.float64]
    knocked_out_by: npt.NDArray[np.int64]
    explain: Callable[[int], tuple[list[dict[str, Any]], list[dict[str, Any]]]]


def _verdicts(
    champion: model_scoring.ScoringModel,
    scored: pl.DataFrame,
    features: pl.DataFrame,
    batch: ScoreBatch,
    scale: MasterScale,
) -> _Verdicts:
    """The expert champion's points and grades from the engine, or the trained champion's."""
    if champion.trained is None:
        return _Verdicts(
            customer_id=batch.customer_id,
            score=batch.score,
            grade=scored.get_column("grade").to_numpy(),
            pd=scored.get_column("pd").to_numpy(),
            knocked_out_by=batch.knocked_out_by,
            explain=partial(_explained, champion.scorecard, batch),
        )
    trained = score_trained(champion.trained, features, scale, batch)
    return _Verdicts(
        customer_id=trained.customer_id,
        score=trained.score,
        grade=trained.grade,
        pd=trained.pd,
        knocked_out_by=trained.knocked_out_by,
        explain=partial(trained.explained, scorecard=champion.scorecard, expert=batch),
    )


def _hash_prefix(champion: model_scoring.ScoringModel, scale_version_id: int) -> str:
    """An expert champion's scores hash as they always have (its scorecard version names it);
    a trained champion's name the model too, so a new champion stores a new score."""
    versions = f"{champion.scorecard_row.id}|{scale_version_id}"
    if champion.trained is None:
        return versions
    return f"model {champion.model.id}|{versions}"


def _inputs_hashes(features: pl.DataFrame, versions: str) -> list[str]:
    """SHA-256 per customer of the model and configuration versions, the feature names and the
    feature values to ten significant digits ("nan" for missing).

    Not the exact bits: polars' parallel sums may differ in the last bit from one run to the
    next (weighted DPD by 1e-14 measured), which would store a new score for unchanged data.
    """
    # One %-format of a whole row: the same text as numpy's per-value ``char.mod``, 3.5× faster.
    prefix = f"{versions}|{','.join(FEATURE_NAMES)}|"
    row_format = ",".join(["%.10g"] * len(FEATURE_NAMES))
    matrix = features.select(FEATURE_NAMES).to_numpy().astype(np.float64)
    return [
        hashlib.sha256((prefix + row_format % tuple(row)).encode()).hexdigest()
        for row in matrix.tolist()
    ]


def _current_ratings(session: Session, customer_ids: Sequence[int]) -> dict[int, _Rating]:
    """The customers' ratings: by their ids in one statement when the dialect allows (always on
    PostgreSQL, up to ``_CHUNK`` customers on SQLite), else every rating, filtered here."""
    if not customer_ids:
        return {}
    statement = select(
        CustomerRating.customer_id,
        CustomerRating.risk_score_id,
        CustomerRating.grade,
        CustomerRating.score,
        CustomerRating.pd,
        CustomerRating.as_of,
        CustomerRating.inputs_hash,
        CustomerRating.model_version_id,
    )
    parts = list(id_sets(session, customer_ids, chunk=_CHUNK))
    if len(parts) == 1:
        statement = statement.where(parts[0].among(CustomerRating.customer_id))
    wanted = set(customer_ids)
    return {
        customer_id: _Rating(score_id, grade, score, pd, as_of, inputs_hash, model_version_id)
        for (
            customer_id,
            score_id,
            grade,
            score,
            pd,
            as_of,
            inputs_hash,
            model_version_id,
        ) in plain_rows(session, statement)
        if customer_id in wanted
    }


def _value(number: float) -> float | None:
    return None if math.isnan(number) else float(number)


def _explained(
    scorecard: Scorecard, batch: ScoreBatch, row: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The factors (value, band score, points, reason when adverse) and the top reasons."""
    every = explain(scorecard, batch, row, limit=len(scorecard.factors) + len(scorecard.knockouts))
    by_feature = {reason.feature: reason for reason in every if not reason.code.startswith("KO_")}
    factors = []
    for j, factor in enumerate(scorecard.factors):
        points = float(batch.points[row, j])
        reason = by_feature.get(factor.feature)
        factors.append(
            {
                "feature": factor.feature,
                "value": _value(float(batch.values[row, j])),
                "score": points / factor.points(1.0),
                "points": points,
                "weight": factor.weight,
                "reason_code": reason.code if reason else None,
                "reason_zh": reason.text_zh if reason else None,
                "reason_en": reason.text_en if reason else None,
            }
        )
    return factors, [asdict(reason) for reason in every[:TOP_REASONS]]


def _knockout_feature(scorecard: Scorecard, index: int) -> str | None:
    return None if index == NO_KNOCKOUT else scorecard.knockouts[index].feature


def _store_scores(
    session: Session,
    actor: Actor,
    active: configs.ActiveConfig,
    champion: model_scoring.ScoringModel,
    verdicts: _Verdicts,
    hashes: Sequence[str],
    changed: Sequence[int],
    day: date,
    trigger: ScoreTrigger,
) -> dict[int, int]:
    """Insert a history row for each changed customer; returns row → new risk score id."""
    if not changed:
        return {}
    now = utcnow()
    levels = {grade.code: grade.risk_level.value for grade in active.scale.grades}
    rows = []
    for row in changed:
        factors, reasons = verdicts.explain(row)
        grade = str(verdicts.grade[row])
        rows.append(
            {
                "customer_id": int(verdicts.customer_id[row]),
                "as_of": day,
                "score": float(verdicts.score[row]),
                "grade": grade,
                "risk_level": levels[grade],
                "pd": float(verdicts.pd[row]),
                "scorecard_version_id": champion.scorecard_row.id,
                "grade_scale_version_id": active.scale_row.id,
                "model_version_id": champion.model.id,
                "inputs_hash": hashes[row],
                "factors": factors,
                "reasons": reasons,
                "knocked_out_by": _knockout_feature(
                    champion.scorecard, int(verdicts.knocked_out_by[row])
                ),
                "trigger": trigger,
                "computed_at": now,
                "computed_by": actor.username,
            }
        )
    # Factors and reasons are large JSON documents: bound as parameters, not read from JSON.
    inserted = recorders.insert_many_created(session, RiskScore, rows, large_json=True)
    return {row: score["id"] for row, score in zip(changed, inserted, strict=True)}


def _update_ratings(
    session: Session,
    verdicts: _Verdicts,
    changed: Sequence[int],
    score_ids: Mapping[int, int],
    hashes: Sequence[str],
    model_version_id: int,
    day: date,
    current: Mapping[int, _Rating],
) -> dict[int, Rating]:
    """Point each changed customer's rating at its new score (with copies of its inputs hash and
    model), unless the rating already holds a score as of a later date (a backtest as of an
    earlier day leaves ratings alone); answer every scored customer's rating once done (none for
    a customer still without one)."""
    rows = [
        {
            "customer_id": int(verdicts.customer_id[row]),
            "risk_score_id": score_ids[row],
            "score": float(verdicts.score[row]),
            "grade": str(verdicts.grade[row]),
            "pd": float(verdicts.pd[row]),
            "as_of": day,
            "inputs_hash": hashes[row],
            "model_version_id": model_version_id,
            "updated_at": utcnow(),
        }
        for row in changed
        if (current.get(int(verdicts.customer_id[row]), _NO_RATING).as_of or day) <= day
    ]
    ids = [cast(int, row["customer_id"]) for row in rows]
    for part in id_sets(session, ids, chunk=_CHUNK):
        session.execute(delete(CustomerRating).where(part.among(CustomerRating.customer_id)))
    insert_rows(session.connection(), CustomerRating.__table__, rows)  # type: ignore[arg-type]
    after = {
        customer_id: Rating(rating.grade, rating.pd)
        for customer_id, rating in current.items()
        if rating.grade is not None and rating.pd is not None
    }
    after.update(
        (cast(int, row["customer_id"]), Rating(cast(str, row["grade"]), cast(float, row["pd"])))
        for row in rows
    )
    return after


def _grade_change_events(
    verdicts: _Verdicts,
    changed: Sequence[int],
    score_ids: Mapping[int, int],
    current: Mapping[int, _Rating],
    day: date,
) -> list[dict[str, Any]]:
    now = utcnow()
    events = []
    for row in changed:
        customer_id = int(verdicts.customer_id[row])
        before = current.get(customer_id, _NO_RATING)
        grade = str(verdicts.grade[row])
        if before.grade == grade:
            continue
        events.append(
            {
                "event_id": uuid.uuid4().hex,
                "event_type": RESCORED_EVENT,
                "customer_id": customer_id,
                "entity_type": RiskScore.__tablename__,
                "entity_id": str(score_ids[row]),
                "payload": {
                    "customer_id": customer_id,
                    "risk_score_id": score_ids[row],
                    "as_of": day.isoformat(),
                    "old_grade": before.grade,
                    "new_grade": grade,
                    "old_score": before.score,
                    "new_score": float(verdicts.score[row]),
                },
                "occurred_at": now,
                "recorded_at": now,
            }
        )
    return events


# --- reading scores ---------------------------------------------------------------------------


def _model_ref(model: ModelVersion | None) -> ModelRef | None:
    if model is None:
        return None
    return ModelRef(model.id, model.name, model.version, model.kind.value)


def _result(
    row: RiskScore,
    scorecard: ScorecardVersion,
    scale: GradeScaleVersion,
    model: ModelVersion | None,
) -> RiskResult:
    return RiskResult(
        score=row.score,
        grade=row.grade,
        risk_level=row.risk_level,
        pd=row.pd,
        scorecard_name=scorecard.name,
        scorecard_version=scorecard.version,
        scale_name=scale.name,
        scale_version=scale.version,
        factors=tuple(FactorResult(**factor) for factor in row.factors),
        reasons=tuple(Reason(**reason) for reason in row.reasons),
        knocked_out_by=row.knocked_out_by,
        customer_id=row.customer_id,
        risk_score_id=row.id,
        as_of=row.as_of,
        trigger=row.trigger,
        computed_at=row.computed_at,
        computed_by=row.computed_by,
        model=_model_ref(model),
    )


def find_risk(session: Session, customer_id: int) -> RiskResult | None:
    """The customer's latest stored score, or ``None`` if it was never scored."""
    found = session.execute(
        select(RiskScore, ScorecardVersion, GradeScaleVersion, ModelVersion)
        .join(ScorecardVersion, ScorecardVersion.id == RiskScore.scorecard_version_id)
        .join(GradeScaleVersion, GradeScaleVersion.id == RiskScore.grade_scale_version_id)
        .outerjoin(ModelVersion, ModelVersion.id == RiskScore.model_version_id)
        .where(RiskScore.customer_id == customer_id)
        .order_by(RiskScore.id.desc())
        .limit(1)
    ).first()
    return None if found is None else _result(*found)


def get_risk(session: Session, actor: Actor, *, customer_id: int) -> RiskResult:
    auth_service.ensure_permission(actor, Permission.RISK_READ)
    customers_service.get_customer(session, actor, customer_id)
    result = find_risk(session, customer_id)
    if result is None:
        raise RiskNotScored(f"customer {customer_id} has not been scored yet")
    return result


def risk_history(
    session: Session, actor: Actor, *, customer_id: int, limit: int = 250
) -> list[HistoryEntry]:
    """The customer's stored scores, newest first."""
    auth_service.ensure_permission(actor, Permission.RISK_READ)
    customers_service.get_customer(session, actor, customer_id)
    rows = session.execute(
        select(
            RiskScore.id,
            RiskScore.as_of,
            RiskScore.score,
            RiskScore.grade,
            RiskScore.risk_level,
            RiskScore.pd,
            ScorecardVersion.version,
            GradeScaleVersion.version,
            RiskScore.trigger,
            RiskScore.computed_at,
            ModelVersion.id,
            ModelVersion.name,
            ModelVersion.version,
            ModelVersion.kind,
        )
        .join(ScorecardVersion, ScorecardVersion.id == RiskScore.scorecard_version_id)
        .join(GradeScaleVersion, GradeScaleVersion.id == RiskScore.grade_scale_version_id)
        .outerjoin(ModelVersion, ModelVersion.id == RiskScore.model_version_id)
        .where(RiskScore.customer_id == customer_id)
        .order_by(RiskScore.id.desc())
        .limit(limit)
    )
    return [
        HistoryEntry(
            risk_score_id=row[0],
            as_of=row[1],
            score=row[2],
            grade=row[3],
            risk_level=row[4],
            pd=row[5],
            scorecard_version=row[6],
            scale_version=row[7],
            trigger=row[8],
            computed_at=row[9],
            model=None if row[10] is None else ModelRef(row[10], row[11], row[12], row[13].value),
        )
        for row in rows
    ]


def ratings_of(session: Session, customer_ids: Collection[int]) -> dict[int, CustomerRating]:
    """Current ratings of a page of customers, for lists that show grade and score."""
    if not customer_ids:
        return {}
    statement = select(CustomerRating).where(
        among(session, CustomerRating.customer_id, list(customer_ids))
    )
    return {rating.customer_id: rating for rating in session.scalars(statement)}


def grades_of(session: Session, customer_ids: Sequence[int]) -> dict[int, str]:
    """Current grades of any number of customers (a stream job's and their related parties'),
    read as plain rows."""
    found: dict[int, str] = {}
    for part in id_sets(session, customer_ids, chunk=_CHUNK):
        statement = select(CustomerRating.customer_id, CustomerRating.grade).where(
            part.among(CustomerRating.customer_id)
        )
        found.update((row[0], row[1]) for row in plain_rows(session, statement))
    return found


def grade_of(customer_id: int | ColumnElement[int]) -> ScalarSelect[str | None]:
    """The customer's current grade as a scalar subquery (NULL: not rated), for a hot path
    that reads it inside a statement of its own (``customer_id`` may be a bound parameter)."""
    return (
        select(CustomerRating.grade)
        .where(CustomerRating.customer_id == customer_id)
        .scalar_subquery()
    )


def rescore_customer(session: Session, actor: Actor, *, customer_id: int) -> RiskResult:
    """Score one customer now (as of today) and return its latest score."""
    customers_service.get_customer(session, actor, customer_id)
    score_customers(session, actor, customer_ids=[customer_id], trigger=ScoreTrigger.MANUAL)
    return get_risk(session, actor, customer_id=customer_id)


# --- what-if --------------------------------------------------------------------------------


def what_if(
    session: Session,
    actor: Actor,
    *,
    features: Mapping[str, float | None],
    scorecard_version: int | None = None,
) -> RiskResult:
    """Score a feature payload without storing anything: features left out count as missing.

    Uses the active scorecard (or stored version ``scorecard_version``) and the active grade
    scale; before anything was ever scored, the shipped defaults.
    """
    auth_service.ensure_permission(actor, Permission.RISK_READ)
    unknown = sorted(name for name in features if name not in FEATURE_NAMES)
    if unknown:
        raise UnknownFeature(
            f"unknown feature {', '.join(unknown)}",
            details=[field_error(f"features.{name}", name, "no such feature") for name in unknown],
        )
    scorecard_row, scorecard = _scorecard_for(session, actor, scorecard_version)
    scale_row, scale = _scale_for(session)
    frame = pl.DataFrame(
        {"customer_id": [0]} | {name: [features.get(name)] for name in FEATURE_NAMES},
        schema={"customer_id": pl.Int64} | dict.fromkeys(FEATURE_NAMES, pl.Float64),
    )
    batch = score_features(scorecard, frame)
    grades, pds = grade_scores(scale, batch.score, batch.knockout_grades)
    factors, reasons = _explained(scorecard, batch, 0)
    grade = str(grades[0])
    return RiskResult(
        score=float(batch.score[0]),
        grade=grade,
        risk_level=scale.grade(grade).risk_level.value,
        pd=float(pds[0]),
        scorecard_name=scorecard.name,
        scorecard_version=scorecard_row.version if scorecard_row else None,
        scale_name=scale.name,
        scale_version=scale_row.version if scale_row else None,
        factors=tuple(FactorResult(**factor) for factor in factors),
        reasons=tuple(Reason(**reason) for reason in reasons),
        knocked_out_by=_knockout_feature(scorecard, int(batch.knocked_out_by[0])),
    )


def _scorecard_for(
    session: Session, actor: Actor, version: int | None
) -> tuple[ScorecardVersion | None, Scorecard]:
    if version is not None:
        row = configs.get_version(
            session, actor, kind=configs.ConfigKind.SCORECARD, version=version
        )
        return row, configs.parse_scorecard(row.yaml_text)  # type: ignore[return-value]
    active = session.scalars(
        select(ScorecardVersion).where(ScorecardVersion.status == ConfigStatus.ACTIVE)
    ).first()
    if active is None:
        return None, Scorecard.default()
    return active, configs.parse_scorecard(active.yaml_text)


def _scale_for(session: Session) -> tuple[GradeScaleVersion | None, MasterScale]:
    active = session.scalars(
        select(GradeScaleVersion).where(GradeScaleVersion.status == ConfigStatus.ACTIVE)
    ).first()
    if active is None:
        return None, MasterScale.default()
    return active, configs.parse_scale(active.yaml_text)


# --- qualitative questionnaire --------------------------------------------------------------


def record_assessment(
    session: Session,
    actor: Actor,
    *,
    customer_id: int,
    question: QualitativeQuestion,
    answer: int,
    evidence: str,
    assessed_on: date,
) -> QualitativeAssessment:
    """An analyst's answer (1 = best … 5 = worst) with its evidence. Scores as of
    ``assessed_on`` or later read it; the latest answer to a question wins."""
    auth_service.ensure_permission(actor, Permission.RISK_ASSESS)
    customers_service.get_customer(session, actor, customer_id)
    problems = []
    if not 1 <= answer <= 5:
        problems.append(field_error("answer", answer, "answers run from 1 (best) to 5 (worst)"))
    if not evidence.strip():
        problems.append(field_error("evidence", evidence, "say what the answer rests on"))
    if assessed_on > business_today(get_settings().zone):
        problems.append(field_error("assessed_on", assessed_on, "is in the future"))
    if problems:
        raise ValidationFailed("the assessment is incomplete or out of range", details=problems)
    assessment = QualitativeAssessment(
        customer_id=customer_id,
        question=question,
        answer=answer,
        evidence=evidence.strip(),
        assessed_on=assessed_on,
        assessed_by=actor.username,
    )
    session.add(assessment)
    session.flush()
    return assessment


def list_assessments(
    session: Session, actor: Actor, *, customer_id: int
) -> list[QualitativeAssessment]:
    """The customer's answers, latest first."""
    auth_service.ensure_permission(actor, Permission.RISK_READ)
    customers_service.get_customer(session, actor, customer_id)
    statement = (
        select(QualitativeAssessment)
        .where(QualitativeAssessment.customer_id == customer_id)
        .order_by(QualitativeAssessment.assessed_on.desc(), QualitativeAssessment.id.desc())
    )
    return list(session.scalars(statement))


# --- rescoring what changed -----------------------------------------------------------------


def _position(session: Session, name: str) -> ConsumerPosition:
    position = session.get(ConsumerPosition, name, with_for_update=True)
    if position is None:
        position = ConsumerPosition(name=name, last_event_id=0)
        session.add(position)
        session.flush()
    return position


def _move_position(session: Session, name: str, last_event_id: int) -> None:
    position = _position(session, name)
    if last_event_id > position.last_event_id:
        position.last_event_id = last_event_id
        position.updated_at = utcnow()
        session.flush()


def rescore_changed(session: Session, actor: Actor, *, as_of: date | None = None) -> RescoreSummary:
    """Rescore every customer named by an outbox event since the last pass, then remember the
    last event read. Its own ``customer_rescored`` events are ignored, so a pass never feeds
    the next one."""
    position = _position(session, RESCORE_CONSUMER)
    after = position.last_event_id
    last = session.scalar(select(func.max(Event.id))) or 0
    if last <= after:
        return RescoreSummary(events=0, last_event_id=after, customers=0, scoring=None)
    window = (Event.id > after, Event.id <= last, Event.event_type != RESCORED_EVENT)
    events = session.scalar(select(func.count()).select_from(Event).where(*window)) or 0
    named = select(Event.customer_id).where(*window, Event.customer_id.is_not(None)).distinct()
    customer_ids = sorted({customer_id for customer_id in session.scalars(named) if customer_id})
    existing = _existing_customers(session, customer_ids)
    scoring = (
        score_customers(
            session, actor, customer_ids=existing, as_of=as_of, trigger=ScoreTrigger.CHANGED
        )
        if existing
        else None
    )
    position.last_event_id = last
    position.updated_at = utcnow()
    session.flush()
    return RescoreSummary(
        events=events, last_event_id=last, customers=len(existing), scoring=scoring
    )


def _existing_customers(session: Session, customer_ids: Sequence[int]) -> list[int]:
    """The ids that still name a customer (an event may outlive a deleted test customer)."""
    found: list[int] = []
    for part in id_sets(session, customer_ids, chunk=_CHUNK):
        found.extend(session.scalars(select(Customer.id).where(part.among(Customer.id))))
    return sorted(found)


# --- the portfolio's ratings (the dashboard) --------------------------------------------------


@dataclass(frozen=True, slots=True)
class RatingSummary:
    """Customers not archived by current grade, grades in the active scale's order (best
    first; a grade of an older scale after them)."""

    customers: int
    by_grade: dict[str, int]
    unrated: int

    @property
    def rated(self) -> int:
        return self.customers - self.unrated


@dataclass(frozen=True, slots=True)
class GradeMigration:
    """Grades ``since`` (each customer's latest score on or before that day) against grades
    now: the rows of a transition matrix, in the active scale's order."""

    since: date
    grades: tuple[str, ...]
    counts: dict[str, dict[str, int]]
    """Grade then → grade now → customers (pairs with none left out)."""
    newly_rated: dict[str, int]
    """Grade now → customers with no score on or before ``since``."""

    def count(self, then: str, now: str) -> int:
        return self.counts.get(then, {}).get(now, 0)

    @property
    def compared(self) -> int:
        return sum(sum(row.values()) for row in self.counts.values())

    def moved(self, *, down: bool) -> int:
        """Customers whose grade got worse (``down``) or better: later in the scale is worse."""
        rank = {grade: index for index, grade in enumerate(self.grades)}
        return sum(
            count
            for then, row in self.counts.items()
            for now, count in row.items()
            if (rank[now] > rank[then] if down else rank[now] < rank[then])
        )


def _in_scale_order(session: Session, actor: Actor, found: Collection[str]) -> tuple[str, ...]:
    scale = tuple(grade.code for grade in configs.active_scale(session, actor).grades)
    return scale + tuple(sorted(set(found) - set(scale)))


def rating_summary(session: Session, actor: Actor) -> RatingSummary:
    """How many customers hold each grade now, and how many are unrated."""
    auth_service.ensure_permission(actor, Permission.RISK_READ)
    current = Customer.archived_at.is_(None)
    counts: dict[str, int] = {
        grade: count
        for grade, count in session.execute(
            select(CustomerRating.grade, func.count())
            .join(Customer, Customer.id == CustomerRating.customer_id)
            .where(current)
            .group_by(CustomerRating.grade)
        )
    }
    customers = session.scalar(select(func.count()).select_from(Customer).where(current)) or 0
    grades = _in_scale_order(session, actor, counts)
    return RatingSummary(
        customers=customers,
        by_grade={grade: counts.get(grade, 0) for grade in grades},
        unrated=customers - sum(counts.values()),
    )


def grade_migration(session: Session, actor: Actor, *, since: date) -> GradeMigration:
    """Each rated customer's grade ``since`` — its latest score on or before that day, from the
    score history — against its grade now, counted by pair."""
    auth_service.ensure_permission(actor, Permission.RISK_READ)
    then = (
        select(RiskScore.grade)
        .where(RiskScore.customer_id == CustomerRating.customer_id, RiskScore.as_of <= since)
        .order_by(RiskScore.as_of.desc(), RiskScore.id.desc())
        .limit(1)
        .correlate(CustomerRating)
        .scalar_subquery()
    )
    rows = session.execute(
        select(then, CustomerRating.grade, func.count())
        .join(Customer, Customer.id == CustomerRating.customer_id)
        .where(Customer.archived_at.is_(None))
        .group_by(then, CustomerRating.grade)
    )
    counts: dict[str, dict[str, int]] = {}
    newly_rated: dict[str, int] = {}
    for before, now, count in rows:
        if before is None:
            newly_rated[now] = newly_rated.get(now, 0) + count
        else:
            counts.setdefault(before, {})[now] = count
    found = set(counts) | {now for row in counts.values() for now in row} | set(newly_rated)
    grades = _in_scale_order(session, actor, found)
    return GradeMigration(since=since, grades=grades, counts=counts, newly_rated=newly_rated)
