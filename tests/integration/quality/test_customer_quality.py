"""One customer's data-quality report, on hand-built files."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.connectors.models import CreditDataPull, DataKind, PullOutcome
from fengkong.customers.models import Customer, CustomerContact
from fengkong.customers.status import USCCVerification
from fengkong.kit.money import Money
from fengkong.kit.provenance import DataSource
from fengkong.kit.time import utcnow
from fengkong.quality import service
from fengkong.quality.rules import KEY_FIELDS, Issue, KeyField, Thresholds
from fengkong.quality.service import Category
from tests import factories

ACTOR = Actor.system("test")
TODAY = date(2026, 11, 26)
DEFAULTS = Thresholds()


def contact(session: Session, customer: Customer) -> None:
    session.add(CustomerContact(customer_id=customer.id, name="李雷", phone="13800000000"))
    session.flush()


def statement(customer: Customer, period_end: date) -> None:
    factories.financial_statement(
        customer_id=customer.id, period_end=period_end, published_on=period_end + timedelta(days=60)
    )


def complete_customer(session: Session) -> Customer:
    customer = factories.customer(
        uscc_verification=USCCVerification.VERIFIED, uscc_verified_at=utcnow()
    )
    contact(session, customer)
    statement(customer, date(2026, 6, 30))
    factories.credit_report(customer_id=customer.id, report_date=date(2026, 9, 1))
    return customer


def quality(
    session: Session, customer: Customer, thresholds: Thresholds = DEFAULTS
) -> service.CustomerQuality:
    return service.customer_quality(session, ACTOR, customer.id, today=TODAY, thresholds=thresholds)


def test_a_complete_file_scores_one_and_has_no_issues(session: Session) -> None:
    report = quality(session, complete_customer(session))
    assert report.score == 1.0
    assert report.missing == ()
    assert report.complete == KEY_FIELDS
    assert report.issues == ()
    assert not report.statement.stale
    assert report.statement.latest == date(2026, 6, 30)
    assert report.report.latest == date(2026, 9, 1)


def test_missing_fields_are_named_and_lower_the_score(session: Session) -> None:
    customer = factories.customer(
        industry_code=None, registered_capital=None, legal_representative="  ", region_code=None
    )
    report = quality(session, customer)
    assert report.missing == (
        KeyField.USCC_VERIFIED,
        KeyField.INDUSTRY,
        KeyField.REGION,
        KeyField.REGISTERED_CAPITAL,
        KeyField.LEGAL_REPRESENTATIVE,
        KeyField.CONTACT,
        KeyField.FINANCIAL_STATEMENT,
        KeyField.CREDIT_REPORT,
    )
    assert report.score == pytest.approx(0.2)
    assert Issue.USCC_UNVERIFIED in report.issues
    assert Issue.MISSING_CONTACT in report.issues


@pytest.mark.parametrize(
    ("period_end", "stale"), [(date(2025, 5, 26), False), (date(2025, 5, 25), True)]
)
def test_a_statement_is_stale_once_its_period_ended_more_than_18_months_ago(
    session: Session, period_end: date, stale: bool
) -> None:
    customer = complete_customer(session)
    statement(customer, period_end)  # older than the complete file's: the latest still counts
    customer_only_old = factories.customer()
    statement(customer_only_old, period_end)
    assert not quality(session, customer).statement.stale
    report = quality(session, customer_only_old)
    assert report.statement.stale is stale
    assert report.statement.cutoff == date(2025, 5, 26)
    assert (Issue.STALE_STATEMENT in report.issues) is stale
    assert KeyField.FINANCIAL_STATEMENT not in report.missing


@pytest.mark.parametrize(
    ("report_date", "stale"), [(date(2025, 11, 26), False), (date(2025, 11, 25), True)]
)
def test_a_credit_report_is_stale_once_it_is_more_than_12_months_old(
    session: Session, report_date: date, stale: bool
) -> None:
    customer = factories.customer()
    factories.credit_report(customer_id=customer.id, report_date=report_date)
    report = quality(session, customer)
    assert report.report.stale is stale
    assert (Issue.STALE_REPORT in report.issues) is stale


def test_thresholds_are_configurable(session: Session) -> None:
    customer = factories.customer()
    factories.credit_report(customer_id=customer.id, report_date=date(2026, 7, 1))
    assert quality(session, customer, thresholds=Thresholds(report_stale_months=3)).report.stale


def test_archived_statements_and_reports_do_not_count(session: Session) -> None:
    customer = factories.customer()
    factories.financial_statement(customer_id=customer.id, archived_at=utcnow())
    factories.credit_report(customer_id=customer.id, archived_at=utcnow())
    report = quality(session, customer)
    assert {KeyField.FINANCIAL_STATEMENT, KeyField.CREDIT_REPORT} <= set(report.missing)


def test_a_mismatched_uscc_is_reported_with_the_registrys_note(session: Session) -> None:
    customer = factories.customer(
        uscc_verification=USCCVerification.MISMATCH, uscc_verification_note="lists 另一家公司"
    )
    report = quality(session, customer)
    assert Issue.USCC_MISMATCH in report.issues
    assert Issue.USCC_UNVERIFIED not in report.issues
    assert report.uscc_verification_note == "lists 另一家公司"


def test_sources_say_where_each_kind_of_data_last_came_from_and_when(session: Session) -> None:
    customer = factories.customer(source=DataSource.IMPORT, source_ref="12")
    factories.credit_report(
        customer_id=customer.id,
        source=DataSource.CONNECTOR,
        source_ref="sandbox",
        verified=True,
        report_date=date(2026, 1, 1),
    )
    factories.credit_report(
        customer_id=customer.id,
        source=DataSource.CONNECTOR,
        source_ref="sandbox",
        verified=False,
        report_date=date(2026, 2, 1),
    )
    factories.credit_report(
        customer_id=customer.id,
        source=DataSource.DEMO,
        source_ref="demo seed 1",
        verified=False,
        report_date=date(2026, 3, 1),
    )
    factories.legal_event(customer_id=customer.id, source=DataSource.API, source_ref="erp")
    sources = {source.category: source for source in quality(session, customer).sources}
    assert list(sources) == list(Category)
    assert (sources[Category.CUSTOMER].source, sources[Category.CUSTOMER].reference) == (
        DataSource.IMPORT,
        "12",
    )
    reports = sources[Category.CREDIT_REPORTS]
    assert (reports.records, reports.verified, reports.unverified) == (3, 1, 1)
    assert reports.source is DataSource.DEMO  # the newest row
    assert reports.age_days == 0
    events = sources[Category.LEGAL_EVENTS]
    assert (events.records, events.source, events.reference) == (1, DataSource.API, "erp")
    invoices = sources[Category.INVOICES]
    assert (invoices.records, invoices.source, invoices.sourced_at, invoices.verified) == (
        0,
        None,
        None,
        None,
    )
    assert Issue.UNVERIFIED_OUTSIDE_DATA in quality(session, customer).issues


def test_data_people_entered_is_not_counted_as_unverified_outside_data(session: Session) -> None:
    customer = factories.customer()
    factories.credit_report(
        customer_id=customer.id, source=DataSource.UI, source_ref="alice", verified=False
    )
    factories.legal_event(
        customer_id=customer.id, source=DataSource.DEMO, source_ref="demo seed 1", verified=False
    )
    sources = {source.category: source for source in quality(session, customer).sources}
    assert sources[Category.CREDIT_REPORTS].source is DataSource.UI
    assert sources[Category.CREDIT_REPORTS].unverified == 0
    assert Issue.UNVERIFIED_OUTSIDE_DATA not in quality(session, customer).issues


def test_the_latest_pull_of_each_kind_is_listed(session: Session) -> None:
    customer = factories.customer()
    for provider, outcome in (("folder", PullOutcome.NOT_FOUND), ("sandbox", PullOutcome.FOUND)):
        session.add(
            CreditDataPull(
                customer_id=customer.id,
                kind=DataKind.AGENCY_REPORT,
                provider=provider,
                outcome=outcome,
                requested_by="test",
                cost=Money.of("30.00", "CNY") if provider == "sandbox" else None,
            )
        )
        session.flush()
    (pull,) = quality(session, customer).pulls
    assert (pull.kind, pull.provider, pull.outcome) == (
        DataKind.AGENCY_REPORT,
        "sandbox",
        PullOutcome.FOUND,
    )
    assert pull.cost == Money.of("30.00", "CNY")


def test_an_archived_customer_still_has_a_report(session: Session) -> None:
    customer = factories.customer(archived_at=utcnow())
    assert quality(session, customer).customer_id == customer.id
