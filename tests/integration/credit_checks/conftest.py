"""A hand-built world for credit checks: customers with invoices, payments and orders through the
factories, and the facts other areas own (limit, blocks, risk class, dunning level, promises to
pay) set per customer on a ``World``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pytest
from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.auth.roles import Role
from fengkong.credit_checks import service, sources
from fengkong.credit_checks.rules import BlockFact
from fengkong.credit_checks.service import CheckAnswer, CheckRequest
from fengkong.credit_checks.sources import LimitFact
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

    monkeypatch.setattr(sources, "limit_in_force", limit_in_force)
    monkeypatch.setattr(sources, "risk_class", lambda s, c: state.classes.get(c, "low"))
    monkeypatch.setattr(sources, "blocks", lambda s, c: state.blocks.get(c, ()))
    monkeypatch.setattr(sources, "dunning_level", lambda s, c: state.dunning.get(c, 0))
    monkeypatch.setattr(
        sources, "promised", lambda s, c, on, currency="CNY": state.promises.get(c, 0)
    )
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
