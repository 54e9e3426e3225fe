"""Shadow scoring use cases: let a challenger score beside the champion on live data, and compare
the two on the same customers. Callers own the transaction; nothing here commits.

A shadow challenger is a validated or approved trained model of the scoring name (the active
expert scorecard's name, whose champion scores live customers). Every scoring run then scores
the same customers with it into ``shadow_scores`` (``fengkong.risk.model_scoring``); it never
touches ratings, events, alerts, limits or credit checks. Switching it on or off is a risk
manager's decision, audited like every change of a model version.

The comparison takes the challenger's latest shadow day and the champion's scores in effect
that day (a customer whose inputs had not changed keeps its earlier score) for the customers
both scored. Outcomes: a customer defaulted when one of its invoices reached 90 days past due
after that day and by today.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from fengkong.auth import service as auth_service
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.kit.time import business_today
from fengkong.models import service as models_service
from fengkong.models.models import ModelVersion
from fengkong.models.service import InvalidModel, UnscorableModel, WrongModelState
from fengkong.models.status import ModelKind, ModelState
from fengkong.records import field_error
from fengkong.risk import model_scoring
from fengkong.scoring.shadow import Comparison, compare
from fengkong.scoring.trained_scoring import unknown_features
from fengkong.settings import get_settings


def set_shadow(session: Session, actor: Actor, *, model_id: int, on: bool) -> ModelVersion:
    """Start (``on``) or stop a model's shadow scoring. Starting needs a validated or approved
    trained model of the scoring name that can score live customers; stopping always works."""
    auth_service.ensure_permission(actor, Permission.MODELS_APPROVE)
    model = models_service.get_model(session, actor, model_id=model_id)
    if on:
        _check_challenger(session, actor, model)
        model_scoring.trained_model(model)  # fails now, not in the next scoring run
    model.shadow = on
    session.flush()
    return model


def _check_challenger(session: Session, actor: Actor, model: ModelVersion) -> None:
    if model.kind is ModelKind.EXPERT:
        raise InvalidModel(
            "an expert scorecard scores through the risk area: only trained models run in the "
            "shadow",
            details=[field_error("kind", model.kind, "not a trained model")],
        )
    if model.state not in model_scoring.SHADOW_STATES:
        raise WrongModelState(
            f"model {model.name} v{model.version} is {model.state.value}: only a validated or "
            "approved model scores in the shadow",
            details=[field_error("state", model.state, "validate the model first")],
        )
    name = models_service.scoring_name(session, actor)
    if model.name != name:
        raise InvalidModel(
            f"live customers are scored by the champion of {name}: register the challenger "
            f"under that name to compare it with the champion",
            details=[field_error("name", model.name, f"not the scoring name {name}")],
        )
    unknown = unknown_features(model.features)
    if unknown:
        raise UnscorableModel(
            f"{model.name} v{model.version} cannot score live customers: the feature library "
            f"does not compute {', '.join(unknown)}",
            details=[field_error("features", f, "not a feature of the library") for f in unknown],
        )


@dataclass(frozen=True, slots=True)
class ShadowComparison:
    """Champion and challenger on the customers both scored as of ``as_of`` (``None`` while
    the challenger has no shadow scores); outcomes are read up to ``outcomes_until``."""

    champion_id: int | None
    champion: str | None
    challenger_id: int
    challenger: str
    as_of: date | None
    outcomes_until: date
    comparison: Comparison

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _label(model: ModelVersion) -> str:
    return f"{model.name} v{model.version} ({model.kind.value})"


def compare_shadow(
    session: Session, actor: Actor, *, model_id: int, today: date | None = None
) -> ShadowComparison:
    """The challenger ``model_id`` against its name's champion on the same customers (see the
    module docstring); ``today`` bounds the outcomes (default: today where the business is)."""
    challenger = models_service.get_model(session, actor, model_id=model_id)
    until = today or business_today(get_settings().zone)
    champion = models_service.champion(session, challenger.name)
    day = model_scoring.latest_shadow_day(session, challenger.id)
    theirs = model_scoring.shadow_verdicts(session, challenger.id, day) if day else {}
    mine = (
        model_scoring.verdicts_in_effect(
            session, model_id=champion.id, day=day, customer_ids=theirs.keys()
        )
        if champion is not None and day is not None and champion.id != challenger.id
        else {}
    )
    customers = sorted(mine.keys() & theirs.keys())
    bad = None
    if day is not None and day < until:
        defaulted = model_scoring.defaulted_between(
            session, customer_ids=customers, after=day, until=until
        )
        bad = [customer in defaulted for customer in customers]
    return ShadowComparison(
        champion_id=champion.id if champion is not None else None,
        champion=_label(champion) if champion is not None else None,
        challenger_id=challenger.id,
        challenger=_label(challenger),
        as_of=day,
        outcomes_until=until,
        comparison=compare(
            champion_score=[mine[c].score for c in customers],
            champion_pd=[mine[c].pd for c in customers],
            champion_grade=[mine[c].grade for c in customers],
            challenger_score=[theirs[c].score for c in customers],
            challenger_pd=[theirs[c].pd for c in customers],
            challenger_grade=[theirs[c].grade for c in customers],
            bad=bad,
        ),
    )


def is_shadow_candidate(model: ModelVersion) -> bool:
    """Whether the model page offers the shadow switch (the service checks the rest)."""
    return model.kind is not ModelKind.EXPERT and (
        model.shadow or model.state in (ModelState.VALIDATED, ModelState.APPROVED)
    )
