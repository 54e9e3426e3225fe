"""Policy simulation on a hand-built year: which past orders a draft rule set would have held,
and how much of the later bad exposure (unpaid 60 days after due) that would have avoided."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.credit_checks import configs, simulation
from fengkong.kit.money import Money
from tests import factories
from tests.integration.credit_checks.conftest import World

TODAY = date(2026, 9, 30)
STRICT = """
name: strict-oldest-item
currency: CNY
stages: [order]
classes:
  unrated:
    - {step: oldest_open_item, on_fail: block, max_days: 10}
"""


def _year(world: World) -> None:
    """O1 (¥30,000, 1 Feb) was never paid; O2 (¥20,000, 1 Apr) was paid early; O3 (¥10,000,
    20 May) was half paid within 60 days of its due date."""
    customer_id = factories.customer().id
    world.limit(customer_id, "100000.00")

    def cny(yuan: str) -> Money:
        return Money.of(yuan, "CNY")

    o1 = factories.order(customer_id=customer_id, ordered_on=date(2026, 2, 1), amount=cny("30000"))
    o2 = factories.order(customer_id=customer_id, ordered_on=date(2026, 4, 1), amount=cny("20000"))
    o3 = factories.order(customer_id=customer_id, ordered_on=date(2026, 5, 20), amount=cny("10000"))
    factories.invoice(
        customer_id=customer_id,
        order_id=o1.id,
        issue_date=date(2026, 2, 5),
        due_date=date(2026, 3, 7),
        amount=cny("30000"),
    )
    i2 = factories.invoice(
        customer_id=customer_id,
        order_id=o2.id,
        issue_date=date(2026, 4, 5),
        due_date=date(2026, 5, 5),
        amount=cny("20000"),
        outstanding=cny("0"),
    )
    i3 = factories.invoice(
        customer_id=customer_id,
        order_id=o3.id,
        issue_date=date(2026, 5, 21),
        due_date=date(2026, 6, 20),
        amount=cny("10000"),
        outstanding=cny("5000"),
    )
    p2 = factories.payment(customer_id=customer_id, paid_on=date(2026, 5, 1), amount=cny("20000"))
    p3 = factories.payment(customer_id=customer_id, paid_on=date(2026, 7, 1), amount=cny("5000"))
    factories.allocation(payment_id=p2.id, invoice_id=i2.id, amount_minor=2_000_000)
    factories.allocation(payment_id=p3.id, invoice_id=i3.id, amount_minor=500_000)


def test_a_draft_rule_set_is_replayed_next_to_the_active_one(
    session: Session, world: World
) -> None:
    _year(world)

    result = simulation.simulate(
        session, Actor.system("test"), yaml_text=STRICT, months=12, today=TODAY
    )

    draft, active = result.draft, result.active
    assert (result.start, result.end, result.rule_set_name) == (
        date(2025, 9, 30),
        TODAY,
        "strict-oldest-item",
    )
    assert (draft.orders, draft.value) == (3, 6_000_000)
    # O2 sees O1's invoice 25 days past due, O3 sees it 74 days past due: both held.
    assert (draft.held_orders, draft.held_value) == (2, 3_000_000)
    assert [(held.amount, held.went_bad) for held in draft.held] == [
        (2_000_000, 0),
        (1_000_000, 500_000),
    ]
    assert draft.bad_total == 3_500_000  # O1's ¥30,000 and O3's unpaid ¥5,000
    assert draft.bad_avoided == 500_000  # O3's
    assert draft.good_value_held == 2_000_000  # O2 was paid on time
    assert round(draft.avoided_share, 4) == round(5 / 35, 4)
    assert (active.held_orders, active.rejected_orders, active.bad_avoided) == (0, 0, 0)


def test_a_stored_draft_version_can_be_simulated(session: Session, world: World) -> None:
    _year(world)
    system = Actor.system("test")
    configs.ensure_active(session)
    draft = configs.rule_sets.import_version(session, system, yaml_text=STRICT, note="stricter")

    result = simulation.simulate(session, system, version=draft.version, months=3, today=TODAY)

    assert (result.rule_set_version, result.active_version) == (2, 1)
    assert result.draft.orders == 0  # nothing ordered since 30 June
