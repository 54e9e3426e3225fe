"""The facts of a credit check that other areas own, each read through that area's service:
exposure (``exposure``), the limit in force, blocks and risk class (``limits``), the dunning
level and promises to pay (``collections``), and the payment factor of the latest score
(``risk``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from fengkong.collections import service as collections_service
from fengkong.credit_checks.rules import BlockFact
from fengkong.exposure import service as exposure_service
from fengkong.exposure.results import CreditExposure
from fengkong.limits import service as limits_service
from fengkong.risk import service as risk_service

PAYMENT_FACTOR = "weighted_dpd_3m"
"""The scorecard feature read as the payment-behaviour index: average days past due of the last
three months, weighted by amount."""


@dataclass(frozen=True, slots=True)
class LimitFact:
    amount_minor: int
    currency: str
    kind: str
    limit_id: int | None
    risk_class: str | None = None


def exposure(session: Session, customer_id: int, *, as_of: date) -> CreditExposure:
    return exposure_service.credit_exposure_fast(session, customer_id, as_of=as_of)


def limit_in_force(session: Session, customer_id: int, *, on: date) -> LimitFact | None:
    found = limits_service.limit_in_force(session, customer_id, on=on)
    if found is None:
        return None
    return LimitFact(
        amount_minor=found.amount.minor_units,
        currency=found.amount.currency,
        kind=str(found.kind),
        limit_id=found.limit_id,
        risk_class=found.risk_class,
    )


def limit_and_class(
    session: Session, customer_id: int, *, on: date
) -> tuple[LimitFact | None, str]:
    """The limit in force and the risk class, which the limit already knows (saving its queries)."""
    limit = limit_in_force(session, customer_id, on=on)
    if limit is not None and limit.risk_class is not None:
        return limit, limit.risk_class
    return limit, risk_class(session, customer_id)


def blocks(session: Session, customer_id: int) -> tuple[BlockFact, ...]:
    return tuple(
        BlockFact(kind=str(block.kind), reason=block.reason, source=str(block.source))
        for block in limits_service.active_blocks(session, customer_id)
    )


def risk_class(session: Session, customer_id: int) -> str:
    return limits_service.risk_class(session, customer_id)


def dunning_level(session: Session, customer_id: int) -> int:
    return collections_service.dunning_level(session, customer_id)


def promised(session: Session, customer_id: int, *, on: date, currency: str = "CNY") -> int:
    return collections_service.promised_amount(session, customer_id, on=on, currency=currency)


def days_late(session: Session, customer_id: int) -> float | None:
    risk = risk_service.find_risk(session, customer_id)
    if risk is None:
        return None
    for factor in risk.factors:
        if factor.feature == PAYMENT_FACTOR:
            return factor.value
    return None
