"""The cost counter: what the providers were asked and charged, per provider and per month."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.auth.roles import Role
from fengkong.connectors import service
from fengkong.connectors.models import CreditDataPull, DataKind, PullOutcome
from fengkong.errors import PermissionDenied
from fengkong.kit.money import Money
from tests import factories
from tests.integration.connectors.conftest import ZONE, Scripted, config

ACTOR = Actor.system("test")
TODAY = date(2026, 11, 26)


def log(
    session: Session,
    customer_id: int,
    provider: str,
    at: datetime,
    cost: str | None,
    outcome: PullOutcome = PullOutcome.FOUND,
    currency: str = "CNY",
) -> None:
    session.add(
        CreditDataPull(
            customer_id=customer_id,
            kind=DataKind.AGENCY_REPORT,
            provider=provider,
            outcome=outcome,
            requested_at=at,
            requested_by="test",
            cost=Money.of(cost, currency) if cost else None,
        )
    )
    session.flush()


def test_costs_add_up_per_provider_and_per_month_in_the_business_time_zone(
    session: Session,
) -> None:
    customer_id = factories.customer().id
    log(session, customer_id, "sandbox", datetime(2026, 11, 2, 3, tzinfo=UTC), "30.00")
    log(
        session,
        customer_id,
        "sandbox",
        datetime(2026, 11, 20, 3, tzinfo=UTC),
        "2.00",
        PullOutcome.NOT_FOUND,
    )
    # 17:30 UTC on 31 October is 01:30 on 1 November in Shanghai: a November call.
    log(session, customer_id, "sandbox", datetime(2026, 10, 31, 17, 30, tzinfo=UTC), "5.00")
    log(session, customer_id, "sandbox", datetime(2026, 10, 15, tzinfo=UTC), "30.00")
    log(session, customer_id, "dnb", datetime(2026, 10, 15, tzinfo=UTC), "12.50", currency="USD")
    log(session, customer_id, "folder", datetime(2026, 9, 1, tzinfo=UTC), None)
    log(session, customer_id, "", datetime(2026, 11, 3, tzinfo=UTC), None, PullOutcome.FRESH_ENOUGH)
    log(session, customer_id, "sandbox", datetime(2024, 1, 1, tzinfo=UTC), "30.00")

    report = service.cost_report(session, ACTOR, months=3, zone=ZONE, today=TODAY)

    assert [(p.provider, p.calls, p.found, p.costs) for p in report.providers] == [
        ("dnb", 1, 1, (Money.of("12.50", "USD"),)),
        ("folder", 1, 1, ()),
        ("sandbox", 5, 4, (Money.of("97.00", "CNY"),)),
    ]
    assert [(m.month, m.provider, m.calls, m.costs) for m in report.months] == [
        ("2026-11", "sandbox", 3, (Money.of("37.00", "CNY"),)),
        ("2026-10", "dnb", 1, (Money.of("12.50", "USD"),)),
        ("2026-10", "sandbox", 1, (Money.of("30.00", "CNY"),)),
        ("2026-09", "folder", 1, ()),
    ]
    assert report.total == (Money.of("97.00", "CNY"), Money.of("12.50", "USD"))


def test_every_call_of_a_pull_is_counted_found_or_not(session: Session) -> None:
    customer = factories.customer()
    cost = Money.of("3.00", "CNY")
    service.pull(
        session,
        ACTOR,
        customer_id=customer.id,
        kinds=(DataKind.COURT,),
        config=config(Scripted("a", cost=cost), Scripted("b", cost=cost, court=[])),
    )
    report = service.cost_report(session, ACTOR, zone=ZONE)
    assert [(p.provider, p.calls, p.found, p.costs) for p in report.providers] == [
        ("a", 1, 0, (cost,)),
        ("b", 1, 1, (cost,)),
    ]
    assert report.total == (Money.of("6.00", "CNY"),)


def test_an_empty_log_costs_nothing(session: Session) -> None:
    report = service.cost_report(session, ACTOR, zone=ZONE, today=TODAY)
    assert (report.providers, report.months, report.total) == ((), (), ())


def test_sales_may_not_see_what_credit_data_costs(session: Session) -> None:
    with pytest.raises(PermissionDenied):
        service.cost_report(session, Actor(None, "sam", Role.SALES), zone=ZONE)
