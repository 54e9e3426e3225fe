"""The portfolio's data-quality figures on a small book whose answers are known."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.credit_reports.models import CreditReport
from fengkong.customers.models import Customer, CustomerContact
from fengkong.customers.status import USCCVerification
from fengkong.financials.models import FinancialStatement
from fengkong.kit.provenance import DataSource
from fengkong.kit.time import utcnow
from fengkong.quality import service
from fengkong.quality.rules import Issue
from tests import factories

ACTOR = Actor.system("test")
TODAY = date(2026, 11, 26)


def contact(session: Session, customer: Customer) -> None:
    session.add(CustomerContact(customer_id=customer.id, name="韩梅梅"))
    session.flush()


def statement(session: Session, customer: Customer, period_end: date) -> None:
    published_on = period_end + timedelta(days=90)
    session.add(
        FinancialStatement(
            customer_id=customer.id,
            period_end=period_end,
            published_on=published_on,
            currency="CNY",
        )
    )
    session.flush()


def credit_report(session: Session, customer: Customer, report_date: date, **fields: Any) -> None:
    session.add(
        CreditReport(customer_id=customer.id, agency="中诚信", report_date=report_date, **fields)
    )
    session.flush()


@pytest.fixture
def book(session: Session) -> dict[str, Customer]:
    """Four customers (and one archived) with known gaps:

    - complete: every key field, recent statement and report, verified USCC
    - stale: verified, contact, but a 2024 statement and a 2025-06 report
    - mismatch: registry disagrees, no contact, recent report from a connector matched by name
    - bare: unverified, no industry, region or capital, nothing else
    """
    complete = factories.customer(uscc_verification=USCCVerification.VERIFIED)
    contact(session, complete)
    statement(session, complete, date(2026, 6, 30))
    credit_report(
        session,
        complete,
        date(2026, 10, 1),
        verified=True,
        source=DataSource.CONNECTOR,
        source_ref="sandbox",
    )

    stale = factories.customer(uscc_verification=USCCVerification.VERIFIED)
    contact(session, stale)
    statement(session, stale, date(2024, 12, 31))
    credit_report(session, stale, date(2025, 6, 1))

    mismatch = factories.customer(uscc_verification=USCCVerification.MISMATCH)
    statement(session, mismatch, date(2026, 3, 31))
    credit_report(
        session,
        mismatch,
        date(2026, 8, 1),
        verified=False,
        source=DataSource.CONNECTOR,
        source_ref="sandbox",
    )

    bare = factories.customer(industry_code=None, region_code=None, registered_capital=None)

    archived = factories.customer(archived_at=utcnow(), industry_code=None)
    return {
        "complete": complete,
        "stale": stale,
        "mismatch": mismatch,
        "bare": bare,
        "archived": archived,
    }


def test_counts_and_shares_per_issue(session: Session, book: dict[str, Customer]) -> None:
    report = service.portfolio_quality(session, ACTOR, today=TODAY)
    counts = {item.issue: item.customers for item in report.issues}
    assert report.customers == 4
    assert report.complete_files == 2
    assert counts == {
        Issue.MISSING_NAME: 0,
        Issue.MISSING_INDUSTRY: 1,
        Issue.MISSING_REGION: 1,
        Issue.MISSING_REGISTERED_CAPITAL: 1,
        Issue.MISSING_ESTABLISHED_ON: 0,
        Issue.MISSING_LEGAL_REPRESENTATIVE: 0,
        Issue.MISSING_CONTACT: 2,
        Issue.MISSING_FINANCIAL_STATEMENT: 1,
        Issue.MISSING_CREDIT_REPORT: 1,
        Issue.USCC_UNVERIFIED: 1,
        Issue.USCC_MISMATCH: 1,
        Issue.STALE_STATEMENT: 1,
        Issue.STALE_REPORT: 1,
        Issue.UNVERIFIED_OUTSIDE_DATA: 1,
    }
    shares = {item.issue: item.share for item in report.issues}
    assert shares[Issue.MISSING_CONTACT] == 0.5
    # complete 10 + stale 10 + mismatch 8 (USCC, contact) + bare 3 (name, established, legal rep.)
    assert report.average_score == pytest.approx(31 / 40)


def test_the_worst_files_come_first_with_their_issues(
    session: Session, book: dict[str, Customer]
) -> None:
    report = service.portfolio_quality(session, ACTOR, today=TODAY, worst=3)
    assert [(c.customer_id, c.score) for c in report.worst] == [
        (book["bare"].id, pytest.approx(0.3)),
        (book["mismatch"].id, pytest.approx(0.8)),
        (book["stale"].id, 1.0),
    ]
    assert report.worst[1].issues == (
        Issue.MISSING_CONTACT,
        Issue.USCC_MISMATCH,
        Issue.UNVERIFIED_OUTSIDE_DATA,
    )
    assert report.worst[2].issues == (Issue.STALE_STATEMENT, Issue.STALE_REPORT)
    assert report.worst[0].uscc == book["bare"].uscc


def test_per_customer_and_portfolio_reports_agree(
    session: Session, book: dict[str, Customer]
) -> None:
    portfolio = service.portfolio_quality(session, ACTOR, today=TODAY, worst=10)
    for scored in portfolio.worst:
        single = service.customer_quality(session, ACTOR, scored.customer_id, today=TODAY)
        assert (single.score, single.issues) == (scored.score, scored.issues)


def test_an_empty_book_has_no_issues(session: Session) -> None:
    report = service.portfolio_quality(session, ACTOR, today=TODAY)
    assert (report.customers, report.average_score, report.worst) == (0, 0.0, ())
    assert all(item.customers == 0 and item.share == 0.0 for item in report.issues)
