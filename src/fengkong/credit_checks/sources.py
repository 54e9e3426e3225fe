"""The facts of a credit check that other areas own, each read through that area's service:
exposure (``exposure``), the limit in force, blocks and risk class (``limits``), the dunning
level and promises to pay (``collections``), and the payment factor of the latest score
(``risk``). On the hot path the areas contribute SQL expressions rather than queries, so that
a check reads its facts in a few statements (``order_and_limit``, ``standing``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    Select,
    String,
    bindparam,
    literal,
    null,
    select,
)
from sqlalchemy.orm import Session

from fengkong import hot_statements
from fengkong.collections import service as collections_service
from fengkong.credit_checks import repository
from fengkong.credit_checks.rules import BlockFact
from fengkong.exposure import service as exposure_service
from fengkong.exposure.results import CreditExposure
from fengkong.limits import service as limits_service
from fengkong.limits.models import CreditBlock, CreditLimit
from fengkong.limits.status import BlockSource
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
    return _limit_fact(limits_service.limit_in_force(session, customer_id, on=on))


@dataclass(frozen=True, slots=True)
class OrderAndLimit:
    """The order's state (its latest check, its ``orders`` row, the active rule set), the limit
    in force and the risk class: what a check reads first, once the customer is locked."""

    state: repository.OrderState
    limit: LimitFact | None
    risk_class: str


def order_and_limit(
    session: Session, order_number: str, customer_id: int, *, on: date
) -> OrderAndLimit:
    """``repository.order_state``, the limit in force and the risk class in one query: the order
    state's statement extended with the limits area's columns, its limit rows outer-joined (a
    row each, at least one)."""
    rows = hot_statements.rows(
        session,
        _order_and_limit_statement(),
        {"order_number": order_number, "customer_id": customer_id, "on": on},
    )
    width = repository.ORDER_STATE_WIDTH
    found, risk_class = limits_service.limit_and_risk_class_of(
        session,
        customer_id,
        rows[0][width : width + 3],
        limits_service.limit_parts_of(row[width + 3 :] for row in rows),
    )
    return OrderAndLimit(repository.order_state_of(rows[0]), _limit_fact(found), risk_class)


@cache
def _order_and_limit_statement() -> Select[Any]:
    """Built once per process: the check runs it on every order."""
    columns, in_force = limits_service.limit_and_grade_parts(
        bindparam("customer_id", type_=Integer), bindparam("on", type_=Date)
    )
    return (
        repository.order_state_statement()
        .add_columns(*columns, *limits_service.LIMIT_PART_COLUMNS)
        .outerjoin(CreditLimit, in_force)
        .order_by(CreditLimit.id)
    )


def _limit_fact(found: limits_service.LimitInForce | None) -> LimitFact | None:
    if found is None:
        return None
    return LimitFact(
        amount_minor=found.amount.minor_units,
        currency=found.amount.currency,
        kind=str(found.kind),
        limit_id=found.limit_id,
        risk_class=found.risk_class,
    )


@dataclass(frozen=True, slots=True)
class Standing:
    """The facts of a check that are single figures or a few rows of other areas."""

    promised: int
    dunning_level: int
    blocks: tuple[BlockFact, ...]
    beyond_horizon: dict[int, int]


def standing(
    session: Session,
    customer_id: int,
    *,
    on: date,
    currency: str,
    promised: bool,
    dunning: bool,
    blocks: bool,
    horizons: Mapping[int, date],
    except_order_id: int | None,
) -> Standing:
    """Promises to pay (``collections``), the dunning level (``collections``), active blocks
    (``limits``) and the exposure beyond each dynamic-limit horizon, each only when asked for,
    in one query: the figures as scalar subqueries, outer-joined to the block rows (so there is
    always a row)."""
    if not (promised or dunning or blocks or horizons):
        return Standing(promised=0, dunning_level=0, blocks=(), beyond_horizon={})
    statement = _standing_statement(
        promised, dunning, blocks, tuple(horizons), except_order_id is not None
    )
    values: dict[str, object] = {
        "customer_id": customer_id,
        "on": on,
        "currency": currency,
        "except_order_id": except_order_id,
        **{f"after_{days}": after for days, after in horizons.items()},
    }
    rows = hot_statements.rows(session, statement, values)
    first = rows[0]
    width = 2 + len(horizons)
    return Standing(
        promised=int(first[0] or 0),
        dunning_level=int(first[1] or 0),
        blocks=tuple(
            BlockFact(
                kind=str(kind),
                reason=reason,
                source=limits_service.block_source(BlockSource(source), rule_name),
            )
            for kind, reason, source, rule_name in (row[width:] for row in rows if blocks)
            if kind is not None
        ),
        beyond_horizon={days: int(first[2 + index] or 0) for index, days in enumerate(horizons)},
    )


@cache
def _standing_statement(
    promised: bool, dunning: bool, blocks: bool, horizons: tuple[int, ...], except_order: bool
) -> Select[Any]:
    """Built once per process for each shape (which facts the rule set's steps need)."""
    customer_id = bindparam("customer_id", type_=Integer)
    on = bindparam("on", type_=Date)
    currency = bindparam("currency", type_=String)
    except_order_id = bindparam("except_order_id", type_=Integer) if except_order else None
    columns: list[ColumnElement[Any]] = [
        (
            collections_service.promised_of(customer_id, on=on, currency=currency)
            if promised
            else literal(0)
        ).label("promised"),
        (collections_service.dunning_level_of(customer_id) if dunning else null()).label(
            "dunning_level"
        ),
        *(
            repository.due_beyond_of(
                customer_id,
                currency=currency,
                after=bindparam(f"after_{days}", type_=Date),
                except_order_id=except_order_id,
            ).label(f"beyond_{days}")
            for days in horizons
        ),
    ]
    figures: Select[Any] = select(*columns)
    if not blocks:
        return figures
    figure_row = figures.subquery()
    return (
        select(*figure_row.c, *limits_service.BLOCK_FACT_COLUMNS)
        .select_from(figure_row)
        .outerjoin(CreditBlock, limits_service.is_active_block_of(customer_id))
        .order_by(CreditBlock.id)
    )


def risk_class(session: Session, customer_id: int) -> str:
    return limits_service.risk_class(session, customer_id)


def days_late(session: Session, customer_id: int) -> float | None:
    risk = risk_service.find_risk(session, customer_id)
    if risk is None:
        return None
    for factor in risk.factors:
        if factor.feature == PAYMENT_FACTOR:
            return factor.value
    return None
