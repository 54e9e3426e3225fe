from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.collections import service
from fengkong.collections.schemas import PromiseCreate
from fengkong.exposure import service as exposure_service
from fengkong.exposure.schemas import DisputeCreate
from fengkong.kit.amounts import PositiveMoneyIn
from tests import factories
from tests.integration.collections.conftest import TODAY, overdue_invoice, rate

SYSTEM = Actor.system("test")


def test_the_worklist_ranks_customers_by_overdue_amount_times_pd(session: Session) -> None:
    # big, safe: 100,000 × 0.01 = 1,000; small, risky: 20,000 × 0.10 = 2,000;
    # unrated (default PD 0.05): 30,000 × 0.05 = 1,500; not yet due: not on the list.
    big, small, unrated, current = (factories.customer() for _ in range(4))
    overdue_invoice(big.id, 10, "60000.00")
    overdue_invoice(big.id, 40, "40000.00")
    overdue_invoice(small.id, 70, "20000.00")
    overdue_invoice(unrated.id, 5, "30000.00")
    overdue_invoice(current.id, 0, "99999.00")
    rate(session, big.id, grade="A", pd=0.01)
    rate(session, small.id, grade="D", pd=0.10)
    listed = service.worklist(session, SYSTEM, as_of=TODAY)
    assert [entry.customer_id for entry in listed.entries] == [small.id, unrated.id, big.id]
    assert [entry.priority for entry in listed.entries] == [
        Decimal("2000.00"),
        Decimal("1500.00"),
        Decimal("1000.00"),
    ]
    first = listed.entries[2]
    assert (first.overdue, first.oldest_days_past_due, first.grade) == (10_000_000, 40, "A")
    assert listed.entries[1].grade is None


def test_the_worklist_shows_levels_promises_and_disputes_and_filters_by_level(
    session: Session,
) -> None:
    dunned, quiet = factories.customer(region_code="440300"), factories.customer()
    invoice = overdue_invoice(dunned.id, 20, "1000.00")
    overdue_invoice(dunned.id, 20, "500.00")
    overdue_invoice(quiet.id, 3, "50.00")  # below the level minimum: never dunned
    service.run_dunning(session, SYSTEM, today=TODAY)
    exposure_service.open_dispute(
        session,
        SYSTEM,
        invoice_id=invoice.id,
        data=DisputeCreate(
            amount=PositiveMoneyIn(amount="10.00", currency="CNY"),
            reason="价格差异",
            opened_on=TODAY,
        ),
    )
    service.record_promise(
        session,
        SYSTEM,
        customer_id=dunned.id,
        data=PromiseCreate(
            amount=PositiveMoneyIn(amount="500.00", currency="CNY"),
            promised_on=TODAY,
            due_on=date(2026, 7, 15),
        ),
    )
    listed = service.worklist(session, SYSTEM, as_of=TODAY, level=2)
    assert [entry.customer_id for entry in listed.entries] == [dunned.id]
    entry = listed.entries[0]
    assert (entry.dunning_level, entry.overdue, entry.disputed) == (2, 50_000, 100_000)
    assert (entry.open_promised, entry.next_promise_due) == (50_000, date(2026, 7, 15))
    assert [
        e.customer_id for e in service.worklist(session, SYSTEM, as_of=TODAY, level=0).entries
    ] == [quiet.id]
    assert [
        e.customer_id for e in service.worklist(session, SYSTEM, as_of=TODAY, region="44").entries
    ] == [dunned.id]
