"""The customer list's filters by owner, risk level and open alerts, and the export that must hold
exactly the rows the list shows, on both backends."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.customers import service
from fengkong.customers.models import Customer
from fengkong.customers.service import AlertState, CustomerFilter, CustomerSort
from fengkong.kit.pagination import PageRequest
from fengkong.monitoring import service as monitoring_service
from fengkong.monitoring.rules import Severity
from fengkong.monitoring.status import AlertStatus
from fengkong.scoring.grading import RiskLevel
from tests import factories
from tests.integration.customers.conftest import raise_alert, use_rules
from tests.personas import Personas

ACTOR = Actor.system("test")
RATED_ON = date(2026, 6, 30)


@pytest.fixture
def book(session: Session, personas: Personas) -> dict[str, Customer]:
    """Five customers: owners, grades and alerts spread so that each filter keeps a known few."""
    use_rules(session)
    sam = personas.sam_sales.user.id
    customers = {
        key: factories.customer(name=f"筛选测试{key}有限公司", region_code="530000", owner_id=owner)
        for key, owner in (
            ("alpha", sam),
            ("bravo", sam),
            ("charlie", None),
            ("delta", personas.alice_analyst.user.id),
            ("echo", None),
        )
    }
    for key, grade in (("alpha", "A"), ("bravo", "D"), ("charlie", "E"), ("delta", "B")):
        factories.rate_customer(session, customers[key].id, grade=grade, as_of=RATED_ON)
    raise_alert(session, customers["alpha"], Severity.LOW, AlertStatus.NEW)
    raise_alert(session, customers["bravo"], Severity.CRITICAL, AlertStatus.IN_PROGRESS)
    raise_alert(session, customers["bravo"], Severity.HIGH, AlertStatus.ACKNOWLEDGED)
    raise_alert(session, customers["charlie"], Severity.HIGH, AlertStatus.NEW)
    raise_alert(session, customers["delta"], Severity.CRITICAL, AlertStatus.RESOLVED)
    return customers


def keys(session: Session, book: dict[str, Customer], **criteria: Any) -> list[str]:
    """Which of the book's customers the list keeps with ``criteria``, in list order."""
    by_id = {customer.id: key for key, customer in book.items()}
    chosen = CustomerFilter(region_code="530000", **criteria)
    page = service.list_customers(session, ACTOR, criteria=chosen)
    return [by_id[customer.id] for customer in page.items]


def test_the_owner_filter_keeps_one_users_customers(
    session: Session, book: dict[str, Customer], personas: Personas
) -> None:
    assert keys(session, book, owner_id=personas.sam_sales.user.id) == ["alpha", "bravo"]
    assert keys(session, book, owner_id=personas.ada_auditor.user.id) == []


@pytest.mark.parametrize(
    ("levels", "expected"),
    [
        ((RiskLevel.LOW,), ["alpha"]),
        ((RiskLevel.HIGH, RiskLevel.VERY_HIGH), ["bravo", "charlie"]),
        ((RiskLevel.MEDIUM,), []),
    ],
)
def test_the_risk_level_filter_reads_the_grades_of_the_active_master_scale(
    session: Session,
    book: dict[str, Customer],
    levels: tuple[RiskLevel, ...],
    expected: list[str],
) -> None:
    assert keys(session, book, risk_levels=levels) == expected


def test_risk_level_and_grade_filters_must_both_hold(
    session: Session, book: dict[str, Customer]
) -> None:
    both = keys(session, book, risk_levels=(RiskLevel.HIGH, RiskLevel.VERY_HIGH), grades=("E",))
    assert both == ["charlie"]


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (AlertState.OPEN, ["alpha", "bravo", "charlie"]),
        (AlertState.HIGH, ["bravo", "charlie"]),
        (AlertState.CRITICAL, ["bravo"]),
        # delta's only alert is resolved: it counts as having none open.
        (AlertState.NONE, ["delta", "echo"]),
    ],
)
def test_the_alert_filter_counts_only_open_alerts_of_the_chosen_severity(
    session: Session, book: dict[str, Customer], state: AlertState, expected: list[str]
) -> None:
    assert keys(session, book, alerts=state) == expected


def test_filters_combine_and_the_count_matches_the_rows(
    session: Session, book: dict[str, Customer], personas: Personas
) -> None:
    criteria = CustomerFilter(
        region_code="530000", owner_id=personas.sam_sales.user.id, alerts=AlertState.HIGH
    )
    page = service.list_customers(session, ACTOR, criteria=criteria)
    assert [customer.id for customer in page.items] == [book["bravo"].id]
    assert page.total == 1


def test_open_alerts_are_counted_per_customer_with_the_worst_severity(
    session: Session, book: dict[str, Customer]
) -> None:
    found = monitoring_service.open_alerts_by_customer(
        session, ACTOR, [customer.id for customer in book.values()]
    )
    assert {
        key: (found[c.id].count, found[c.id].worst) for key, c in book.items() if c.id in found
    } == {
        "alpha": (1, Severity.LOW),
        "bravo": (2, Severity.CRITICAL),
        "charlie": (1, Severity.HIGH),
    }


@pytest.mark.parametrize(
    ("criteria", "sort"),
    [
        (CustomerFilter(region_code="530000"), CustomerSort.NAME_DESC),
        (CustomerFilter(region_code="530000", alerts=AlertState.OPEN), CustomerSort.GRADE),
        (
            CustomerFilter(region_code="530000", risk_levels=(RiskLevel.LOW, RiskLevel.HIGH)),
            CustomerSort.SCORE,
        ),
    ],
)
def test_the_export_holds_every_page_of_the_list_in_its_order(
    session: Session, book: dict[str, Customer], criteria: CustomerFilter, sort: CustomerSort
) -> None:
    pages = [
        service.list_customers(
            session, ACTOR, criteria=criteria, sort=sort, page=PageRequest(page=number, page_size=2)
        )
        for number in (1, 2, 3)
    ]
    listed = [customer.id for page in pages for customer in page.items]
    exported = [
        row.customer_id
        for row in service.export_customers(session, ACTOR, criteria=criteria, sort=sort)
    ]
    assert listed
    assert exported == listed


def test_an_export_row_carries_owner_rating_and_open_alerts(
    session: Session, book: dict[str, Customer]
) -> None:
    rows = {
        row.customer_id: row
        for row in service.export_customers(
            session, ACTOR, criteria=CustomerFilter(region_code="530000")
        )
    }
    bravo = rows[book["bravo"].id]
    assert (bravo.owner, bravo.grade, bravo.open_alerts, bravo.rated_as_of) == (
        "sam_sales",
        "D",
        2,
        RATED_ON,
    )
    echo = rows[book["echo"].id]
    assert (echo.owner, echo.grade, echo.score, echo.open_alerts) == (None, None, None, 0)


def test_the_export_stops_at_its_limit(session: Session, book: dict[str, Customer]) -> None:
    rows = list(
        service.export_customers(
            session, ACTOR, criteria=CustomerFilter(region_code="530000"), limit=3
        )
    )
    assert len(rows) == 3


def test_customers_are_found_by_id_in_one_call(session: Session, book: dict[str, Customer]) -> None:
    wanted = {book["alpha"].id, book["echo"].id, 987_654}
    found = service.customers_by_id(session, wanted)
    assert set(found) == {book["alpha"].id, book["echo"].id}
    assert service.customers_by_id(session, []) == {}


def test_an_open_alert_counts_however_old_it_is(
    session: Session, book: dict[str, Customer]
) -> None:
    """An alert's age does not matter, only whether it is still open."""
    old = raise_alert(session, book["echo"], Severity.MEDIUM, AlertStatus.NEW)
    old.raised_at = datetime(2020, 1, 1, tzinfo=UTC) - timedelta(days=1)
    session.flush()
    assert keys(session, book, alerts=AlertState.NONE) == ["delta"]
