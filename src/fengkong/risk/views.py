"""Read-only queries for the risk pages: everything the customer page's risk section shows in
one call, and the master scale the customer list and the history chart draw grades with.

Nothing here writes: a page view must never store a configuration or a score (``service``
stores the shipped defaults on first scoring; before that, pages show the shipped scale).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.risk import configs, service
from fengkong.risk.configs import ConfigKind, ConfigVersionNotFound
from fengkong.risk.models import QualitativeAssessment, QualitativeQuestion
from fengkong.risk.service import HistoryEntry, RiskResult
from fengkong.scoring.grading import Grade, MasterScale


@dataclass(frozen=True, slots=True)
class CustomerRisk:
    """The customer's latest score (``None`` until it is scored), its grade on the scale that
    graded it, the score history oldest first, the active scale (the chart's grade bands) and
    the questionnaire answers in effect."""

    risk: RiskResult | None
    grade: Grade | None
    history: tuple[HistoryEntry, ...]
    scale: MasterScale
    answers: tuple[QualitativeAssessment, ...]


def active_scale(session: Session, actor: Actor) -> MasterScale:
    """The master scale new scores are graded on; the shipped one until anything is scored."""
    return configs.active_scale(session, actor)


def _scale(session: Session, actor: Actor, version: int | None) -> tuple[int | None, MasterScale]:
    """Stored version ``version`` (``None``: the active one, or the shipped scale when none is
    active yet) with its version number."""
    try:
        row = configs.get_version(session, actor, kind=ConfigKind.GRADE_SCALE, version=version)
    except ConfigVersionNotFound:
        if version is not None:
            raise
        return None, MasterScale.default()
    return row.version, configs.parse_scale(row.yaml_text)


def customer_risk(session: Session, actor: Actor, *, customer_id: int) -> CustomerRisk:
    """What the customer page shows about the customer's risk (needs ``risk:read``)."""
    history = service.risk_history(session, actor, customer_id=customer_id)
    risk = service.find_risk(session, customer_id)
    active_version, scale = _scale(session, actor, None)
    grade = None
    if risk is not None:
        graded_on = scale
        if risk.scale_version is not None and risk.scale_version != active_version:
            graded_on = _scale(session, actor, risk.scale_version)[1]
        grade = graded_on.grade(risk.grade)
    return CustomerRisk(
        risk=risk,
        grade=grade,
        # Stored newest first by id; a backtest can add an earlier as-of date later, so the
        # chart's order is by as-of date, then by when the score was computed.
        history=tuple(sorted(history, key=lambda entry: (entry.as_of, entry.risk_score_id))),
        scale=scale,
        answers=answers_in_effect(
            service.list_assessments(session, actor, customer_id=customer_id)
        ),
    )


def answers_in_effect(
    assessments: Iterable[QualitativeAssessment],
) -> tuple[QualitativeAssessment, ...]:
    """The answer scoring reads for each question, in questionnaire order: the latest
    ``assessed_on``, and of two answers that day the worse (as the features do)."""
    chosen: dict[QualitativeQuestion, QualitativeAssessment] = {}
    for assessment in assessments:
        held = chosen.get(assessment.question)
        if held is None or (assessment.assessed_on, assessment.answer) > (
            held.assessed_on,
            held.answer,
        ):
            chosen[assessment.question] = assessment
    return tuple(chosen[question] for question in QualitativeQuestion if question in chosen)
