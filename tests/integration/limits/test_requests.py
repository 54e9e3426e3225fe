"""Limit requests end to end in the service: recommendation, tiers, maker-checker, approval
taking effect at once, supersession, temporary limits, expiry, history and the queue."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fengkong.audit.models import AuditEntry
from fengkong.errors import PermissionDenied
from fengkong.events.models import Event
from fengkong.limits import configs, service
from fengkong.limits.models import CreditLimit
from fengkong.limits.status import (
    Decision,
    LimitKind,
    LimitStatus,
    RequestKind,
    RequestStatus,
)
from tests import factories
from tests.integration.limits.conftest import TODAY, cny, graded_customer
from tests.personas import Personas


def test_recommendation_reads_grade_statement_and_contract_terms(
    session: Session, personas: Personas
) -> None:
    customer = graded_customer(session, "B")
    found = service.recommend_limit(
        session, personas.sam_sales.actor, customer_id=customer.id, today=TODAY
    )
    # 4,500,000 × 15 % = 675,000 < 12,000,000 / 12 × 60/30 × 40 % = 800,000; rounded half-up
    assert found.amount == cny("680000")
    assert found.basis == "equity"
    assert found.policy_version is None  # the shipped policy, not stored by a read
    assert "675,000.00" in " ".join(found.texts("en"))


def test_small_new_limit_is_approved_by_one_analyst_and_takes_effect_at_once(
    session: Session, personas: Personas
) -> None:
    customer = graded_customer(session, "B")
    request = service.request_limit(
        session,
        personas.sam_sales.actor,
        customer_id=customer.id,
        kind=RequestKind.NEW,
        amount=cny("500000"),
        justification="新客户首单",
        today=TODAY,
    )
    assert (request.tier, request.required_approvals) == ("analyst", 1)
    assert request.recommended_minor == 680_000_00
    assert request.expires_on == TODAY + timedelta(days=14)
    assert service.limit_in_force(session, customer.id, on=TODAY) is None

    decided = service.decide_limit_request(
        session,
        personas.alice_analyst.actor,
        request_id=request.id,
        decision=Decision.APPROVE,
        today=TODAY,
    )
    assert decided.status is RequestStatus.APPROVED
    in_force = service.limit_in_force(session, customer.id, on=TODAY)
    assert in_force is not None
    assert in_force.amount == cny("500000")
    assert in_force.kind is LimitKind.PERMANENT
    assert in_force.risk_class == "low"
    events = session.scalars(select(Event.event_type).where(Event.customer_id == customer.id)).all()
    assert "credit_limit_changed" in events
    audited = session.scalars(
        select(AuditEntry.entity_type).where(AuditEntry.entity_type == "credit_limits")
    ).all()
    assert audited


def test_the_requester_can_never_approve_their_own_request(
    session: Session, personas: Personas
) -> None:
    customer = graded_customer(session, "B")
    request = service.request_limit(
        session,
        personas.alice_analyst.actor,
        customer_id=customer.id,
        kind=RequestKind.NEW,
        amount=cny("100000"),
        justification="需要额度",
        today=TODAY,
    )
    with pytest.raises(service.OwnRequest):
        service.decide_limit_request(
            session,
            personas.alice_analyst.actor,
            request_id=request.id,
            decision=Decision.APPROVE,
            today=TODAY,
        )
    assert service.approvals_queue(session, personas.alice_analyst.actor) == []
    assert service.approvals_queue(session, personas.bob_manager.actor) == [request]


def test_an_analyst_is_refused_on_a_manager_tier_request(
    session: Session, personas: Personas
) -> None:
    customer = graded_customer(session, "A")
    request = service.request_limit(
        session,
        personas.sam_sales.actor,
        customer_id=customer.id,
        kind=RequestKind.NEW,
        amount=cny("5000000"),
        justification="大客户",
        today=TODAY,
    )
    assert request.tier == "manager"
    with pytest.raises(service.NotInTier):
        service.decide_limit_request(
            session,
            personas.alice_analyst.actor,
            request_id=request.id,
            decision=Decision.APPROVE,
            today=TODAY,
        )
    assert service.approvals_queue(session, personas.alice_analyst.actor) == []
    service.decide_limit_request(
        session,
        personas.bob_manager.actor,
        request_id=request.id,
        decision=Decision.APPROVE,
        today=TODAY,
    )
    assert service.limit_in_force(session, customer.id, on=TODAY) is not None


def test_grade_d_needs_two_different_approvers(session: Session, personas: Personas) -> None:
    customer = graded_customer(session, "D")
    request = service.request_limit(
        session,
        personas.sam_sales.actor,
        customer_id=customer.id,
        kind=RequestKind.NEW,
        amount=cny("50000"),
        justification="小额试单",
        today=TODAY,
    )
    assert (request.tier, request.required_approvals) == ("committee", 2)
    service.decide_limit_request(
        session,
        personas.bob_manager.actor,
        request_id=request.id,
        decision=Decision.APPROVE,
        comment="同意",
        today=TODAY,
    )
    assert request.status is RequestStatus.SUBMITTED
    assert service.limit_in_force(session, customer.id, on=TODAY) is None
    with pytest.raises(service.AlreadyDecided):
        service.decide_limit_request(
            session,
            personas.bob_manager.actor,
            request_id=request.id,
            decision=Decision.APPROVE,
            today=TODAY,
        )
    assert service.approvals_queue(session, personas.bob_manager.actor) == []
    assert service.approvals_queue(session, personas.adam_admin.actor) == [request]
    decided = service.decide_limit_request(
        session,
        personas.adam_admin.actor,
        request_id=request.id,
        decision=Decision.APPROVE,
        today=TODAY,
    )
    assert decided.status is RequestStatus.APPROVED
    detail = service.get_request(session, personas.ada_auditor.actor, request_id=request.id)
    assert detail.approvals == 2
    assert [row.decided_by for row in detail.decisions] == ["bob_manager", "adam_admin"]


def test_sales_and_auditors_cannot_decide(session: Session, personas: Personas) -> None:
    customer = graded_customer(session, "B")
    request = service.request_limit(
        session,
        personas.alice_analyst.actor,
        customer_id=customer.id,
        kind=RequestKind.NEW,
        amount=cny("100000"),
        justification="x",
        today=TODAY,
    )
    for persona in (personas.sam_sales, personas.ada_auditor):
        with pytest.raises(PermissionDenied):
            service.decide_limit_request(
                session, persona.actor, request_id=request.id, decision=Decision.APPROVE
            )
    with pytest.raises(PermissionDenied):
        service.request_limit(
            session,
            personas.ada_auditor.actor,
            customer_id=customer.id,
            kind=RequestKind.NEW,
            amount=cny("1"),
            justification="x",
        )


def test_a_rejection_needs_a_comment_and_ends_the_request(
    session: Session, personas: Personas
) -> None:
    customer = graded_customer(session, "B")
    request = service.request_limit(
        session,
        personas.sam_sales.actor,
        customer_id=customer.id,
        kind=RequestKind.NEW,
        amount=cny("100000"),
        justification="x",
        today=TODAY,
    )
    with pytest.raises(service.InvalidLimitRequest):
        service.decide_limit_request(
            session,
            personas.alice_analyst.actor,
            request_id=request.id,
            decision=Decision.REJECT,
            today=TODAY,
        )
    service.decide_limit_request(
        session,
        personas.alice_analyst.actor,
        request_id=request.id,
        decision=Decision.REJECT,
        comment="逾期太多",
        today=TODAY,
    )
    assert request.status is RequestStatus.REJECTED
    assert service.limit_in_force(session, customer.id, on=TODAY) is None
    with pytest.raises(service.RequestNotOpen):
        service.decide_limit_request(
            session,
            personas.bob_manager.actor,
            request_id=request.id,
            decision=Decision.APPROVE,
            today=TODAY,
        )


def _grant(
    session: Session,
    personas: Personas,
    customer_id: int,
    kind: RequestKind,
    amount: str,
    valid_until: date | None = None,
) -> None:
    request = service.request_limit(
        session,
        personas.sam_sales.actor,
        customer_id=customer_id,
        kind=kind,
        amount=cny(amount),
        valid_until=valid_until,
        justification="x",
        today=TODAY,
    )
    for approver in (personas.bob_manager, personas.adam_admin):
        if request.status is RequestStatus.SUBMITTED:
            service.decide_limit_request(
                session,
                approver.actor,
                request_id=request.id,
                decision=Decision.APPROVE,
                today=TODAY,
            )


def test_an_approved_increase_supersedes_the_previous_permanent_limit(
    session: Session, personas: Personas
) -> None:
    customer = graded_customer(session, "B")
    _grant(session, personas, customer.id, RequestKind.NEW, "300000")
    _grant(session, personas, customer.id, RequestKind.INCREASE, "800000")
    in_force = service.limit_in_force(session, customer.id, on=TODAY)
    assert in_force is not None
    assert in_force.amount == cny("800000")
    history = service.limit_history(session, personas.ada_auditor.actor, customer_id=customer.id)
    assert [(row.amount, row.status) for row in history] == [
        (cny("800000"), LimitStatus.ACTIVE),
        (cny("300000"), LimitStatus.SUPERSEDED),
    ]
    assert history[1].ended_by == "bob_manager"


def test_increase_and_decrease_must_move_the_limit_the_way_they_say(
    session: Session, personas: Personas
) -> None:
    customer = graded_customer(session, "B")
    with pytest.raises(service.InvalidLimitRequest, match="no permanent limit"):
        _grant(session, personas, customer.id, RequestKind.INCREASE, "800000")
    _grant(session, personas, customer.id, RequestKind.NEW, "300000")
    with pytest.raises(service.InvalidLimitRequest, match="increase must exceed"):
        _grant(session, personas, customer.id, RequestKind.INCREASE, "300000")
    with pytest.raises(service.InvalidLimitRequest, match="decrease must be below"):
        _grant(session, personas, customer.id, RequestKind.DECREASE, "300000")
    with pytest.raises(service.InvalidLimitRequest, match="ask for an increase"):
        _grant(session, personas, customer.id, RequestKind.NEW, "1000")


def test_only_one_request_per_customer_is_open_at_a_time(
    session: Session, personas: Personas
) -> None:
    customer = graded_customer(session, "B")
    first = service.request_limit(
        session,
        personas.sam_sales.actor,
        customer_id=customer.id,
        kind=RequestKind.NEW,
        amount=cny("1000"),
        justification="x",
        today=TODAY,
    )
    with pytest.raises(service.OpenRequestExists):
        _grant(session, personas, customer.id, RequestKind.NEW, "2000")
    with pytest.raises(PermissionDenied):
        service.withdraw_limit_request(session, personas.alice_analyst.actor, request_id=first.id)
    service.withdraw_limit_request(
        session, personas.sam_sales.actor, request_id=first.id, comment="客户取消"
    )
    assert first.status is RequestStatus.WITHDRAWN
    detail = service.get_request(session, personas.sam_sales.actor, request_id=first.id)
    assert [row.body for row in detail.comments] == ["客户取消"]


def test_a_temporary_limit_adds_on_top_and_expires_after_its_end_date(
    session: Session, personas: Personas
) -> None:
    customer = graded_customer(session, "B")
    _grant(session, personas, customer.id, RequestKind.NEW, "300000")
    end = TODAY + timedelta(days=30)
    _grant(session, personas, customer.id, RequestKind.TEMPORARY, "200000", valid_until=end)
    in_force = service.limit_in_force(session, customer.id, on=TODAY)
    assert in_force is not None
    assert in_force.amount == cny("500000")
    assert in_force.permanent == cny("300000")
    assert in_force.temporary == cny("200000")
    assert in_force.valid_until == end
    # On the end date it still counts; the day after it does not, even before the job runs.
    assert service.limit_in_force(session, customer.id, on=end).amount == cny("500000")  # type: ignore[union-attr]
    assert service.limit_in_force(session, customer.id, on=end + timedelta(days=1)).amount == (  # type: ignore[union-attr]
        cny("300000")
    )
    expiry = service.expire_limits(session, personas.bob_manager.actor, today=end)
    assert expiry.limits_expired == ()
    expiry = service.expire_limits(
        session, personas.bob_manager.actor, today=end + timedelta(days=1)
    )
    assert len(expiry.limits_expired) == 1
    temporary = session.get(CreditLimit, expiry.limits_expired[0])
    assert temporary is not None
    assert temporary.status is LimitStatus.EXPIRED
    again = service.expire_limits(
        session, personas.bob_manager.actor, today=end + timedelta(days=1)
    )
    assert again.limits_expired == ()


def test_a_temporary_request_needs_an_end_date_and_its_tier_counts_the_total(
    session: Session, personas: Personas
) -> None:
    customer = graded_customer(session, "B")
    _grant(session, personas, customer.id, RequestKind.NEW, "900000")
    with pytest.raises(service.InvalidLimitRequest, match="end date"):
        _grant(session, personas, customer.id, RequestKind.TEMPORARY, "200000")
    request = service.request_limit(
        session,
        personas.sam_sales.actor,
        customer_id=customer.id,
        kind=RequestKind.TEMPORARY,
        amount=cny("200000"),
        valid_until=TODAY + timedelta(days=10),
        justification="旺季",
        today=TODAY,
    )
    # 900,000 + 200,000 = 1,100,000 is above the analyst tier's 1,000,000
    assert request.tier == "manager"
    assert request.tier_amount_minor == 1_100_000_00


def test_an_undecided_request_expires(session: Session, personas: Personas) -> None:
    customer = graded_customer(session, "B")
    request = service.request_limit(
        session,
        personas.sam_sales.actor,
        customer_id=customer.id,
        kind=RequestKind.NEW,
        amount=cny("1000"),
        justification="x",
        today=TODAY,
    )
    late = request.expires_on + timedelta(days=1)
    with pytest.raises(service.RequestNotOpen, match="expired"):
        service.decide_limit_request(
            session,
            personas.alice_analyst.actor,
            request_id=request.id,
            decision=Decision.APPROVE,
            today=late,
        )
    expiry = service.expire_limits(session, personas.bob_manager.actor, today=late)
    assert expiry.requests_expired == (request.id,)
    assert request.status is RequestStatus.EXPIRED


def test_the_first_request_stores_the_shipped_policy_as_version_one(
    session: Session, personas: Personas
) -> None:
    customer = graded_customer(session, "B")
    request = service.request_limit(
        session,
        personas.sam_sales.actor,
        customer_id=customer.id,
        kind=RequestKind.NEW,
        amount=cny("1000"),
        justification="x",
        today=TODAY,
    )
    active = configs.policies.get_version(session, personas.ada_auditor.actor)
    assert (active.version, request.policy_version_id) == (1, active.id)


def test_a_new_policy_version_changes_tiers_of_new_requests_only(
    session: Session, personas: Personas
) -> None:
    customer = graded_customer(session, "B")
    first = service.request_limit(
        session,
        personas.sam_sales.actor,
        customer_id=customer.id,
        kind=RequestKind.NEW,
        amount=cny("500000"),
        justification="x",
        today=TODAY,
    )
    stricter = configs.shipped_yaml().replace('max_amount: "1000000"', 'max_amount: "100000"')
    row = configs.policies.import_version(
        session, personas.bob_manager.actor, yaml_text=stricter, activate=True
    )
    assert row.version == 2
    assert first.tier == "analyst"
    service.withdraw_limit_request(session, personas.sam_sales.actor, request_id=first.id)
    second = service.request_limit(
        session,
        personas.sam_sales.actor,
        customer_id=customer.id,
        kind=RequestKind.NEW,
        amount=cny("500000"),
        justification="x",
        today=TODAY,
    )
    assert second.tier == "manager"
    assert second.policy_version_id == row.id
    with pytest.raises(PermissionDenied):
        configs.policies.import_version(session, personas.alice_analyst.actor, yaml_text=stricter)


def test_a_customer_without_a_grade_goes_to_the_committee(
    session: Session, personas: Personas
) -> None:
    customer = factories.customer()
    request = service.request_limit(
        session,
        personas.sam_sales.actor,
        customer_id=customer.id,
        kind=RequestKind.NEW,
        amount=cny("1000"),
        justification="x",
        today=TODAY,
    )
    assert (request.tier, request.grade, request.recommended_minor) == ("committee", None, 0)
    assert service.risk_class(session, customer.id) == "unrated"


def test_the_database_refuses_a_second_active_permanent_limit(
    session: Session, personas: Personas
) -> None:
    customer = graded_customer(session, "B")
    _grant(session, personas, customer.id, RequestKind.NEW, "300000")
    duplicate = CreditLimit(
        customer_id=customer.id,
        kind=LimitKind.PERMANENT,
        amount=cny("1"),
        valid_from=TODAY,
        status=LimitStatus.ACTIVE,
        granted_by="someone",
    )
    savepoint = session.begin_nested()
    session.add(duplicate)
    with pytest.raises(IntegrityError):
        session.flush()
    savepoint.rollback()
