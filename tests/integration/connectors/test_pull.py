"""Pulling credit data: the waterfall, the age rule, the pull log, and how answers are stored."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.auth.roles import Role
from fengkong.connectors import service
from fengkong.connectors.models import CreditDataPull, DataKind, PullOutcome
from fengkong.connectors.providers import AgencyReport, CourtRecord, Key
from fengkong.credit_reports.models import CreditReport
from fengkong.customers.models import Customer
from fengkong.errors import PermissionDenied
from fengkong.kit.money import Money
from fengkong.kit.provenance import DataSource, Provenance
from fengkong.kit.time import business_today, utcnow
from fengkong.legal_events.kinds import LegalEventType
from fengkong.legal_events.models import LegalEvent
from fengkong.settings import Settings
from tests import factories
from tests.integration.connectors.conftest import ZONE, Scripted, config

ACTOR = Actor.system("test")
TODAY = business_today(ZONE)
AGENCY = (DataKind.AGENCY_REPORT,)
COURT = (DataKind.COURT,)


def report(customer: Customer, *, days_old: int = 5, rating: str = "A", **key: str) -> AgencyReport:
    return AgencyReport(
        key=Key(name=customer.name, uscc=key.get("uscc", customer.uscc)),
        agency="中诚信",
        report_date=TODAY - timedelta(days=days_old),
        rating=rating,
        score=70.0,
    )


def pulls(session: Session, customer: Customer) -> list[tuple[str, str, PullOutcome]]:
    rows = session.scalars(
        select(CreditDataPull)
        .where(CreditDataPull.customer_id == customer.id)
        .order_by(CreditDataPull.id)
    )
    return [(row.kind.value, row.provider, row.outcome) for row in rows]


def test_providers_are_asked_in_order_until_one_finds_data(session: Session) -> None:
    customer = factories.customer()
    first = Scripted("first", cost=Money.of("1.00", "CNY"))
    second = Scripted("second", reports=[report(customer)], cost=Money.of("30.00", "CNY"))
    third = Scripted("third", reports=[report(customer)])
    summary = service.pull(
        session, ACTOR, customer_id=customer.id, kinds=AGENCY, config=config(first, second, third)
    )
    (result,) = summary.results
    assert result.outcome is PullOutcome.FOUND
    assert result.provider == "second"
    assert result.created == 1
    assert third.asked == []
    assert pulls(session, customer) == [
        ("agency_report", "first", PullOutcome.NOT_FOUND),
        ("agency_report", "second", PullOutcome.FOUND),
    ]
    assert summary.costs == (Money.of("31.00", "CNY"),)


def test_a_failing_provider_is_logged_and_the_next_one_is_asked(session: Session) -> None:
    customer = factories.customer()
    down = Scripted("down", fail=True)
    up = Scripted("up", reports=[report(customer)])
    (result,) = service.pull(
        session, ACTOR, customer_id=customer.id, kinds=AGENCY, config=config(down, up)
    ).results
    assert result.outcome is PullOutcome.FOUND
    assert [(call.provider, call.outcome) for call in result.calls] == [
        ("down", PullOutcome.FAILED),
        ("up", PullOutcome.FOUND),
    ]
    detail = session.scalar(select(CreditDataPull.detail).where(CreditDataPull.provider == "down"))
    assert detail == "down timed out"


def test_when_every_provider_fails_the_pull_failed_and_when_none_knows_it_was_not_found(
    session: Session,
) -> None:
    customer = factories.customer()
    (failed,) = service.pull(
        session,
        ACTOR,
        customer_id=customer.id,
        kinds=AGENCY,
        config=config(Scripted("a", fail=True)),
    ).results
    (missing,) = service.pull(
        session, ACTOR, customer_id=customer.id, kinds=AGENCY, config=config(Scripted("b"))
    ).results
    assert failed.outcome is PullOutcome.FAILED
    assert missing.outcome is PullOutcome.NOT_FOUND


def test_a_kind_without_providers_is_reported_and_nothing_is_logged(session: Session) -> None:
    customer = factories.customer()
    (result,) = service.pull(
        session, ACTOR, customer_id=customer.id, kinds=COURT, config=config(kinds=())
    ).results
    assert result.outcome is None
    assert pulls(session, customer) == []


def test_a_recent_enough_report_is_not_bought_again_but_force_does(session: Session) -> None:
    customer = factories.customer()
    factories.credit_report(customer_id=customer.id, report_date=TODAY - timedelta(days=10))
    provider = Scripted("agency", reports=[report(customer, days_old=1)])
    cfg = config(provider, max_age_days=90)
    (skipped,) = service.pull(
        session, ACTOR, customer_id=customer.id, kinds=AGENCY, config=cfg
    ).results
    assert skipped.outcome is PullOutcome.FRESH_ENOUGH
    assert skipped.fresh_as_of == TODAY - timedelta(days=10)
    assert provider.asked == []
    (forced,) = service.pull(
        session, ACTOR, customer_id=customer.id, kinds=AGENCY, force=True, config=cfg
    ).results
    assert forced.outcome is PullOutcome.FOUND
    assert pulls(session, customer) == [
        ("agency_report", "", PullOutcome.FRESH_ENOUGH),
        ("agency_report", "agency", PullOutcome.FOUND),
    ]


def test_data_as_old_as_the_maximum_age_is_pulled_again(session: Session) -> None:
    customer = factories.customer()
    factories.credit_report(customer_id=customer.id, report_date=TODAY - timedelta(days=90))
    provider = Scripted("agency", reports=[report(customer)])
    (result,) = service.pull(
        session,
        ACTOR,
        customer_id=customer.id,
        kinds=AGENCY,
        config=config(provider, max_age_days=90),
    ).results
    assert result.outcome is PullOutcome.FOUND


def test_a_successful_pull_makes_the_kind_fresh_even_when_it_found_no_cases(
    session: Session,
) -> None:
    customer = factories.customer()
    court = Scripted("court", court=[])
    cfg = config(court, max_age_days=7)
    first, again = (
        service.pull(session, ACTOR, customer_id=customer.id, kinds=COURT, config=cfg).results[0]
        for _ in range(2)
    )
    assert first.outcome is PullOutcome.FOUND
    assert again.outcome is PullOutcome.FRESH_ENOUGH
    assert len(court.asked) == 1


def test_stored_records_say_they_came_from_the_connector(session: Session) -> None:
    customer = factories.customer()
    case = CourtRecord(
        key=Key(name=customer.name, uscc=customer.uscc),
        event_type=LegalEventType.DISHONEST_DEBTOR,
        occurred_on=TODAY - timedelta(days=30),
        case_number="(2026)沪0115执1号",
        amount=Money.of("50000.00", "CNY"),
    )
    provider = Scripted("courts-r-us", reports=[report(customer)], court=[case])
    session.info["provenance"] = Provenance.of(DataSource.UI, "alice")
    before = utcnow()
    service.pull(
        session,
        ACTOR,
        customer_id=customer.id,
        config=config(provider, kinds=(DataKind.AGENCY_REPORT, DataKind.COURT)),
    )
    credit_report = session.scalars(
        select(CreditReport).where(CreditReport.customer_id == customer.id)
    ).one()
    legal_event = session.scalars(
        select(LegalEvent).where(LegalEvent.customer_id == customer.id)
    ).one()
    for row in (credit_report, legal_event):
        assert row.source is DataSource.CONNECTOR
        assert row.source_ref == "courts-r-us"
        assert row.sourced_at >= before
        assert row.verified is True
    assert legal_event.amount == Money.of("50000.00", "CNY")
    assert session.info["provenance"] == Provenance.of(DataSource.UI, "alice")


def test_a_repeated_pull_updates_in_place_and_adds_no_duplicates(session: Session) -> None:
    customer = factories.customer()
    provider = Scripted("agency", reports=[report(customer, rating="A")])
    cfg = config(provider)
    service.pull(session, ACTOR, customer_id=customer.id, kinds=AGENCY, config=cfg)
    (same,) = service.pull(
        session, ACTOR, customer_id=customer.id, kinds=AGENCY, force=True, config=cfg
    ).results
    assert (same.created, same.updated, same.unchanged) == (0, 0, 1)
    provider.reports = [report(customer, rating="BBB")]
    (changed,) = service.pull(
        session, ACTOR, customer_id=customer.id, kinds=AGENCY, force=True, config=cfg
    ).results
    assert (changed.created, changed.updated) == (0, 1)
    (stored,) = session.scalars(select(CreditReport).where(CreditReport.customer_id == customer.id))
    assert stored.rating == "BBB"
    assert stored.version == 2


def test_name_only_records_are_kept_unverified_and_never_overwrite_verified_ones(
    session: Session,
) -> None:
    customer = factories.customer()
    by_name = AgencyReport(
        key=Key(name=customer.name.replace("公司", "公司 ")),
        agency="中诚信",
        report_date=TODAY - timedelta(days=3),
        rating="C",
    )
    provider = Scripted("aggregator", reports=[by_name])
    cfg = config(provider)
    (result,) = service.pull(
        session, ACTOR, customer_id=customer.id, kinds=AGENCY, config=cfg
    ).results
    assert (result.created, result.unverified) == (1, 1)
    stored = session.scalars(
        select(CreditReport).where(CreditReport.customer_id == customer.id)
    ).one()
    assert stored.verified is False

    provider.reports = [
        AgencyReport(Key(customer.name, customer.uscc), "中诚信", by_name.report_date, "A")
    ]
    service.pull(session, ACTOR, customer_id=customer.id, kinds=AGENCY, force=True, config=cfg)
    assert (stored.verified, stored.rating) == (True, "A")

    provider.reports = [by_name]
    (again,) = service.pull(
        session, ACTOR, customer_id=customer.id, kinds=AGENCY, force=True, config=cfg
    ).results
    assert again.unchanged == 1
    assert (stored.verified, stored.rating) == (True, "A")


def test_records_about_another_company_are_skipped(session: Session) -> None:
    customer = factories.customer()
    other = factories.customer()
    provider = Scripted(
        "agency",
        reports=[
            report(customer, uscc=other.uscc),
            AgencyReport(Key("别人家的公司"), "中诚信", TODAY),
        ],
    )
    (result,) = service.pull(
        session, ACTOR, customer_id=customer.id, kinds=AGENCY, config=config(provider)
    ).results
    assert (result.created, result.skipped) == (0, 2)


def test_a_report_a_person_archived_is_not_brought_back(session: Session) -> None:
    customer = factories.customer()
    archived = factories.credit_report(
        customer_id=customer.id, report_date=TODAY - timedelta(days=200), archived_at=utcnow()
    )
    provider = Scripted(
        "agency",
        reports=[
            AgencyReport(
                Key(customer.name, customer.uscc), archived.agency, archived.report_date, "D"
            )
        ],
    )
    (result,) = service.pull(
        session, ACTOR, customer_id=customer.id, kinds=AGENCY, config=config(provider)
    ).results
    assert result.skipped == 1
    assert archived.archived_at is not None
    assert archived.rating == "A"


def test_pulling_is_refused_to_roles_that_may_not_write_credit_reports(session: Session) -> None:
    customer = factories.customer()
    sales = Actor(user_id=None, username="sam", role=Role.SALES)
    with pytest.raises(PermissionDenied):
        service.pull(session, sales, customer_id=customer.id, config=config(Scripted("x")))


def test_an_archived_customer_is_not_pulled_for(session: Session) -> None:
    customer = factories.customer(archived_at=utcnow())
    with pytest.raises(service.CustomerArchived):
        service.pull(session, ACTOR, customer_id=customer.id, config=config(Scripted("x")))
    assert pulls(session, customer) == []


def test_pullable_customers_leave_out_the_archived(session: Session) -> None:
    kept = factories.customer()
    factories.customer(archived_at=utcnow())
    assert service.pullable_customer_ids(session) == [kept.id]


def test_unknown_provider_names_in_the_settings_are_a_clear_error(settings: Settings) -> None:
    wrong = settings.model_copy(update={"connectors_court": ("qichacha",)})
    with pytest.raises(service.UnknownProvider, match=r"FENGKONG_CONNECTORS_COURT.*'qichacha'"):
        service.connector_config(wrong)


def test_the_settings_build_one_instance_per_provider_name(settings: Settings) -> None:
    cfg = service.connector_config(
        settings.model_copy(
            update={
                "connectors_agency": ("folder", "sandbox"),
                "connectors_registry": ("sandbox",),
                "connectors_court": (),
            }
        )
    )
    agency = cfg.providers(DataKind.AGENCY_REPORT)
    assert [type(p).__name__ for p in agency] == ["FolderProvider", "SandboxProvider"]
    assert cfg.providers(DataKind.REGISTRY)[0] is agency[1]
    assert cfg.providers(DataKind.COURT) == ()


def test_the_log_keeps_who_pulled(session: Session) -> None:
    customer = factories.customer()
    service.pull(
        session, ACTOR, customer_id=customer.id, kinds=AGENCY, config=config(Scripted("x"))
    )
    assert session.scalar(select(func.count()).where(CreditDataPull.requested_by == "test")) == 1
