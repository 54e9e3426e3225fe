"""A hand-built world for credit checks: customers with invoices, payments and orders through the
factories, and the facts other areas own (limit, blocks, risk class, dunning level, promises to
pay) set per customer on a ``World``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

import pytest
from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.auth.roles import Role
from fengkong.credit_checks import service, sources
from fengkong.credit_checks.rules import BlockFact
from fengkong.credit_checks.service import CheckAnswer, CheckRequest
from fengkong.credit_checks.sources import LimitFact, OrderAndLimit, Standing
from fengkong.credit_checks.status import Stage
from fengkong.kit.money import Money

DAY = date(2026, 6, 30)
ERP = Actor(user_id=9001, username="erp", role=Role.SALES)
MANAGER = Actor(user_id=9002, username="wang_manager", role=Role.RISK_MANAGER)


@dataclass
class World:
    limits: dict[int, int] = field(default_factory=dict)
    classes: dict[int, str] = field(default_factory=dict)
    blocks: dict[int, tuple[BlockFact, ...]] = field(default_factory=dict)
    dunning: dict[int, int] = field(default_factory=dict)
    promises: dict[int, int] = field(default_factory=dict)

    def limit(self, customer_id: int, yuan: str) -> None:
        self.limits[customer_id] = Money.of(yuan, "CNY").minor_units


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> World:
    """The limits and collections facts of the customers, read by the check as those areas'
    services would answer them."""
    state = World()

    def limit_in_force(session: Session, customer_id: int, *, on: date) -> LimitFact | None:
        amount = state.limits.get(customer_id)
        return None if amount is None else LimitFact(amount, "CNY", "permanent", None)

    def risk_class(session: Session, customer_id: int) -> str:
        return state.classes.get(customer_id, "low")

    read_order_and_limit = sources.order_and_limit

    def order_and_limit(
        session: Session, order_number: str, customer_id: int, *, on: date
    ) -> OrderAndLimit:
        # The order's state is the check's own read; the limit and class are the world's.
        stored = read_order_and_limit(session, order_number, customer_id, on=on)
        return OrderAndLimit(
            stored.state,
            limit_in_force(session, customer_id, on=on),
            risk_class(session, customer_id),
        )

    read_standing = sources.standing

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
        # The exposure beyond a horizon is the check's own read of the invoices and orders.
        stored = read_standing(
            session,
            customer_id,
            on=on,
            currency=currency,
            promised=False,
            dunning=False,
            blocks=False,
            horizons=horizons,
            except_order_id=except_order_id,
        )
        return Standing(
            promised=state.promises.get(customer_id, 0) if promised else 0,
            dunning_level=state.dunning.get(customer_id, 0) if dunning else 0,
            blocks=state.blocks.get(customer_id, ()) if blocks else (),
            beyond_horizon=stored.beyond_horizon,
        )

    monkeypatch.setattr(sources, "limit_in_force", limit_in_force)
    monkeypatch.setattr(sources, "risk_class", risk_class)
    monkeypatch.setattr(sources, "order_and_limit", order_and_limit)
    monkeypatch.setattr(sources, "standing", standing)
    monkeypatch.setattr(sources, "days_late", lambda s, c: None)
    return state


def run_check(
    session: Session,
    customer_id: int,
    order_number: str,
    yuan: str,
    *,
    stage: Stage = Stage.ORDER,
    delivery: date | None = None,
    actor: Actor = ERP,
) -> CheckAnswer:
    return service.check_order(
        session,
        actor,
        request=CheckRequest(
            order_number=order_number,
            amount=Money.of(yuan, "CNY"),
            customer_id=customer_id,
            stage=stage,
            requested_delivery_on=delivery,
        ),
        today=DAY,
    )
