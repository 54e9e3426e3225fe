"""Exposure snapshots and the dashboard's portfolio summary: the same figures as the live
computation, expected loss at the current PD, the largest losses, and what is not computed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.auth.roles import Role
from fengkong.customers.models import Customer
from fengkong.errors import PermissionDenied
from fengkong.exposure import service
from fengkong.exposure.models import ExposureSnapshot
from fengkong.jobs import consumer
from fengkong.kit.money import Money
from fengkong.kit.time import utcnow
from fengkong.risk.models import CustomerRating
from tests import factories
from tests.integration.exposure.conftest import AS_OF, SYSTEM, hand_computed_ledger, rate
from tests.sql_statements import statements_sent


def _customer_owing(
    amount: str,
    *,
    due: date = date(2026, 7, 1),
    industry: str | None = "F51",
    region: str | None = "310115",
) -> int:
    customer = factories.customer(industry_code=industry, region_code=region)
    factories.invoice(
        customer_id=customer.id,
        amount=Money.of(amount, "CNY"),
        issue_date=due - timedelta(days=30),
        due_date=due,
    )
    return customer.id


def _snapshot(session: Session, customer_id: int) -> ExposureSnapshot:
    return session.scalars(
        select(ExposureSnapshot)
        .where(ExposureSnapshot.customer_id == customer_id)
        .execution_options(populate_existing=True)
    ).one()


def test_a_snapshot_holds_the_figures_the_live_computation_gives(session: Session) -> None:
    ledger = hand_computed_ledger(session)
    idle = factories.customer()

    written = service.refresh_exposures(session, SYSTEM, as_of=AS_OF)

    live = service.customer_exposure(session, ledger.customer_id, as_of=AS_OF)
    row = _snapshot(session, ledger.customer_id)
    assert written == 2
    assert row.as_of == AS_OF
    assert (row.gross_exposure_minor, row.mitigation_minor, row.net_exposure_minor) == (
        live.gross_exposure,
        live.mitigation,
        live.net_exposure,
    )
    assert row.ead_minor == live.ead
    assert [
        row.not_due_minor,
        row.dpd_1_30_minor,
        row.dpd_31_60_minor,
        row.dpd_61_90_minor,
        row.dpd_90_plus_minor,
    ] == list(live.receivables_by_bucket.values())
    assert (row.open_receivables_minor, row.overdue_minor) == (live.open_receivables, live.overdue)
    assert (row.open_orders_minor, row.unapplied_payments_minor) == (
        live.open_orders,
        live.unapplied_payments,
    )
    assert row.contract_commitments_minor == live.contract_commitments
    # LGD × EAD, the loss a default would cost: EL at a PD of 2 % is 2 % of it.
    assert float(row.loss_at_default) == pytest.approx(live.lgd * live.ead)
    nothing = _snapshot(session, idle.id)
    assert (nothing.gross_exposure_minor, nothing.ead_minor) == (0, 0)
    assert nothing.loss_at_default == Decimal(0)


def test_the_summary_agrees_with_the_live_portfolio_on_a_small_book(session: Session) -> None:
    # Four customers owing 400, 300, 200 (30 days overdue) and 100; two rated.
    a = _customer_owing("400.00", industry="F51", region="310115")
    b = _customer_owing("300.00", industry="C13", region="320100")
    _customer_owing("200.00", due=date(2026, 5, 31), industry="F52", region="310104")
    _customer_owing("100.00", industry=None, region=None)
    factories.customer()  # owes nothing: computed, but not a customer with exposure
    rate(session, a, grade="B", pd=0.01)
    rate(session, b, grade="D", pd=0.10)
    service.refresh_exposures(session, SYSTEM, as_of=AS_OF)

    summary = service.portfolio_summary(session, SYSTEM)
    live = service.portfolio_exposure(session, SYSTEM, as_of=AS_OF)

    assert summary.customers == live.customers == 4
    assert (summary.gross_exposure, summary.net_exposure, summary.ead) == (
        live.gross_exposure,
        live.net_exposure,
        live.ead,
    )
    # EL: 400 × 0.45 × 0.01 + 300 × 0.45 × 0.10 = 1.80 + 13.50
    assert summary.expected_loss == live.expected_loss == 15_30
    assert summary.unrated_ead == 300_00
    assert summary.by_grade == live.by_grade
    assert summary.by_industry == live.by_industry
    assert summary.by_region == live.by_region
    assert summary.receivables_by_bucket == live.receivables_by_bucket
    assert summary.overdue == 200_00
    assert summary.top_share == pytest.approx(live.top_share)
    assert summary.herfindahl == pytest.approx(live.herfindahl)
    assert (summary.as_of, summary.not_computed) == (AS_OF, 0)
    assert [row.customer_id for row in summary.largest_losses] == [b, a]


def test_expected_loss_follows_a_new_rating_without_a_refresh(session: Session) -> None:
    customer = _customer_owing("1000.00")
    rate(session, customer, grade="B", pd=0.01)
    service.refresh_exposures(session, SYSTEM, as_of=AS_OF)
    assert service.portfolio_summary(session, SYSTEM).expected_loss == 4_50

    session.execute(
        update(CustomerRating)
        .where(CustomerRating.customer_id == customer)
        .values(grade="E", pd=0.25)
    )

    summary = service.portfolio_summary(session, SYSTEM)
    assert summary.expected_loss == 112_50  # 1,000 × 0.45 × 0.25
    assert [(row.key, row.expected_loss) for row in summary.by_grade] == [("E", 112_50)]
    assert summary.largest_losses[0].grade == "E"


def test_the_largest_expected_losses_come_first_with_names_and_ties_by_id(
    session: Session,
) -> None:
    owed = {"A": "1000.00", "B": "4000.00", "C": "2000.00", "D": "2000.00"}
    ids = {name: _customer_owing(amount) for name, amount in owed.items()}
    for customer_id in ids.values():
        rate(session, customer_id, grade="C", pd=0.02)
    unrated = _customer_owing("9000.00")
    service.refresh_exposures(session, SYSTEM, as_of=AS_OF)

    largest = service.portfolio_summary(session, SYSTEM, top_n=3).largest_losses

    tied = sorted([ids["C"], ids["D"]])
    assert [row.customer_id for row in largest] == [ids["B"], *tied]
    assert unrated not in [row.customer_id for row in largest]
    assert (largest[0].expected_loss, largest[0].ead, largest[0].pd) == (36_00, 4_000_00, 0.02)
    assert largest[0].name == session.get(Customer, ids["B"]).name  # type: ignore[union-attr]


def test_customers_without_a_snapshot_are_counted_apart(session: Session) -> None:
    first = _customer_owing("100.00")
    service.refresh_exposures(session, SYSTEM, customer_ids=[first], as_of=AS_OF)
    second = _customer_owing("900.00")

    summary = service.portfolio_summary(session, SYSTEM)

    assert (summary.customers, summary.not_computed, summary.gross_exposure) == (1, 1, 100_00)
    archived = factories.customer(archived_at=utcnow())
    service.refresh_exposures(session, SYSTEM, customer_ids=[second, archived.id], as_of=AS_OF)
    assert service.portfolio_summary(session, SYSTEM).not_computed == 0


def test_the_book_is_stale_when_never_computed_or_aged_before_the_day(session: Session) -> None:
    assert not service.exposures_stale(session, as_of=AS_OF)  # no customer: nothing to do
    first = _customer_owing("100.00")
    assert service.exposures_stale(session, as_of=AS_OF)
    service.refresh_exposures(session, SYSTEM, as_of=AS_OF - timedelta(days=1))
    assert service.exposures_stale(session, as_of=AS_OF)
    service.refresh_exposures(session, SYSTEM, customer_ids=[first], as_of=AS_OF)
    _customer_owing("900.00")  # the stream consumer computes a new customer's

    assert not service.exposures_stale(session, as_of=AS_OF)
    assert service.exposures_stale(session, as_of=AS_OF + timedelta(days=1))


def test_a_refresh_overwrites_the_named_customers_and_leaves_the_others(
    session: Session,
) -> None:
    first = _customer_owing("100.00")
    second = _customer_owing("200.00")
    service.refresh_exposures(session, SYSTEM, as_of=AS_OF)
    factories.invoice(
        customer_id=first,
        amount=Money.of("50.00", "CNY"),
        issue_date=date(2026, 6, 1),
        due_date=date(2026, 7, 1),
    )
    factories.invoice(
        customer_id=second,
        amount=Money.of("70.00", "CNY"),
        issue_date=date(2026, 6, 1),
        due_date=date(2026, 7, 1),
    )

    assert service.refresh_exposures(session, SYSTEM, customer_ids=[first], as_of=AS_OF) == 1

    assert _snapshot(session, first).gross_exposure_minor == 150_00
    assert _snapshot(session, second).gross_exposure_minor == 200_00


def test_the_stream_consumer_refreshes_the_snapshot_of_a_customer_whose_data_changed(
    session: Session,
) -> None:
    customer = _customer_owing("300.00")
    service.refresh_exposures(session, SYSTEM, as_of=AS_OF)
    factories.invoice(
        customer_id=customer,
        amount=Money.of("700.00", "CNY"),
        issue_date=date(2026, 6, 1),
        due_date=date(2026, 7, 1),
    )
    session.flush()

    consumer.apply_customers(session, SYSTEM, through={customer: 2**62}, as_of=AS_OF)

    assert _snapshot(session, customer).gross_exposure_minor == 1_000_00


def test_refreshing_needs_exposure_write_and_the_summary_exposure_read(session: Session) -> None:
    auditor = Actor(user_id=None, username="ada", role=Role.AUDITOR)
    with pytest.raises(PermissionDenied):
        service.refresh_exposures(session, auditor, as_of=AS_OF)
    assert service.portfolio_summary(session, auditor).customers == 0


def test_snapshots_are_written_and_overwritten_exactly_in_one_statement_on_postgresql(
    session: Session,
) -> None:
    """PostgreSQL takes a job's snapshots as one JSON parameter: six decimal places of the loss
    and the microseconds of the time survive it, and a second write overwrites the first."""
    customer_id = _customer_owing("100.00")
    columns = [c.key for c in ExposureSnapshot.__table__.columns]
    moment = datetime(2026, 7, 1, 8, 30, 15, 123456, tzinfo=UTC)

    def row(net: int, loss: str) -> dict[str, object]:
        amounts = {key: net + n for n, key in enumerate(columns) if key.endswith("_minor")}
        return amounts | {
            "customer_id": customer_id,
            "as_of": AS_OF,
            "currency": "CNY",
            "loss_at_default": Decimal(loss),
            "computed_at": moment,
        }

    service._upsert_snapshots(session, [row(1_000, "12.345678")])
    sent = statements_sent(
        session, lambda: service._upsert_snapshots(session, [row(2_000, "0.000001")])
    )

    snapshot = _snapshot(session, customer_id)
    stored = {key: getattr(snapshot, key) for key in columns}
    assert stored == row(2_000, "0.000001")
    upserts = [s for s in sent if s.startswith("INSERT INTO exposure_snapshots")]
    assert len(upserts) == 1
    assert ("json_to_recordset" in upserts[0]) == (session.get_bind().dialect.name == "postgresql")


def test_a_refresh_that_changes_no_figure_leaves_the_snapshot_as_it_was(session: Session) -> None:
    """``computed_at`` is when the figures last changed: an equal refresh writes no row version
    (PostgreSQL's ``xmin`` stays), a changed figure or a new day overwrites it."""
    customer_id = _customer_owing("100.00")
    service.refresh_exposures(session, SYSTEM, customer_ids=[customer_id], as_of=AS_OF)
    first = _snapshot(session, customer_id)
    first_computed, first_version = first.computed_at, _row_version(session, customer_id)

    service.refresh_exposures(session, SYSTEM, customer_ids=[customer_id], as_of=AS_OF)
    assert _snapshot(session, customer_id).computed_at == first_computed
    assert _row_version(session, customer_id) == first_version

    factories.invoice(
        customer_id=customer_id,
        amount=Money.of("50.00", "CNY"),
        issue_date=AS_OF - timedelta(days=5),
        due_date=AS_OF + timedelta(days=25),
    )
    service.refresh_exposures(session, SYSTEM, customer_ids=[customer_id], as_of=AS_OF)
    grown = _snapshot(session, customer_id)
    assert grown.open_receivables_minor == 15_000
    assert grown.computed_at > first_computed

    service.refresh_exposures(
        session, SYSTEM, customer_ids=[customer_id], as_of=AS_OF + timedelta(days=1)
    )
    assert _snapshot(session, customer_id).as_of == AS_OF + timedelta(days=1)


def _row_version(session: Session, customer_id: int) -> object:
    if session.get_bind().dialect.name != "postgresql":
        return None
    return session.execute(
        text("SELECT xmin::text, ctid::text FROM exposure_snapshots WHERE customer_id = :c"),
        {"c": customer_id},
    ).one()
