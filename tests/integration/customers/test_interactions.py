"""The interaction log: logging calls, visits, emails and notes, reading them back latest first,
refusing bad input by field, and auditing each entry."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from fengkong.audit.models import AuditEntry
from fengkong.customers import interactions as service
from fengkong.customers.interactions import MAX_SUMMARY_LENGTH, InvalidInteraction
from fengkong.customers.schemas import InteractionCreate
from fengkong.customers.service import CustomerNotFound
from fengkong.customers.status import InteractionKind
from fengkong.errors import PermissionDenied
from fengkong.kit.pagination import PageRequest
from fengkong.records import RecordArchived, archive
from tests import factories
from tests.personas import Personas

NOW = datetime(2026, 12, 6, 2, 30, tzinfo=UTC)  # 10:30 in Shanghai


def call(
    summary: str = "询问三季度回款计划，客户承诺月底前付清。", **changes: object
) -> InteractionCreate:
    fields: dict[str, Any] = {
        "kind": InteractionKind.CALL,
        "occurred_at": NOW - timedelta(hours=1),
        "summary": summary,
        **changes,
    }
    return InteractionCreate.model_validate(fields)


def test_an_interaction_is_logged_as_its_authors_and_audited(
    session: Session, personas: Personas
) -> None:
    customer = factories.customer()
    sam = personas.sam_sales
    session.info["actor"] = sam.actor
    entry = service.add_interaction(
        session,
        sam.actor,
        customer_id=customer.id,
        data=call(
            "  上门拜访财务总监。\n确认新增订单。  ",
            kind=InteractionKind.VISIT,
            follow_up_on=date(2026, 12, 20),
        ),
        now=NOW,
    )
    assert (entry.kind, entry.summary, entry.author, entry.author_id) == (
        InteractionKind.VISIT,
        "上门拜访财务总监。\n确认新增订单。",
        "sam_sales",
        sam.user.id,
    )
    assert entry.follow_up_on == date(2026, 12, 20)
    audit = session.scalars(
        select(AuditEntry).where(
            AuditEntry.entity_type == "customer_interactions",
            AuditEntry.entity_id == str(entry.id),
        )
    ).one()
    assert (audit.action, audit.actor_username) == ("create", "sam_sales")
    assert audit.after is not None
    assert audit.after["summary"] == entry.summary


def test_the_log_lists_the_latest_interaction_first_in_pages(
    session: Session, personas: Personas
) -> None:
    customer = factories.customer()
    other = factories.customer()
    actor = personas.alice_analyst.actor
    for hours in (5, 1, 3):
        service.add_interaction(
            session,
            actor,
            customer_id=customer.id,
            data=call(f"{hours} 小时前的电话", occurred_at=NOW - timedelta(hours=hours)),
            now=NOW,
        )
    service.add_interaction(session, actor, customer_id=other.id, data=call("别的客户"), now=NOW)
    first = service.list_interactions(
        session, actor, customer_id=customer.id, page=PageRequest(page=1, page_size=2)
    )
    second = service.list_interactions(
        session, actor, customer_id=customer.id, page=PageRequest(page=2, page_size=2)
    )
    assert [entry.summary for entry in [*first.items, *second.items]] == [
        "1 小时前的电话",
        "3 小时前的电话",
        "5 小时前的电话",
    ]
    assert first.total == 3


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"summary": "   "}, "summary"),
        ({"summary": "长" * (MAX_SUMMARY_LENGTH + 1)}, "summary"),
        ({"occurred_at": NOW + timedelta(hours=1)}, "occurred_at"),
        ({"follow_up_on": date(2026, 12, 5)}, "follow_up_on"),
    ],
)
def test_bad_input_is_refused_naming_the_field(
    session: Session, personas: Personas, changes: dict[str, Any], field: str
) -> None:
    customer = factories.customer()
    with pytest.raises(InvalidInteraction) as refused:
        service.add_interaction(
            session,
            personas.alice_analyst.actor,
            customer_id=customer.id,
            data=call(**changes),
            now=NOW,
        )
    assert [detail["field"] for detail in refused.value.details] == [field]
    assert field in refused.value.message


def test_a_follow_up_compares_with_the_business_day_not_the_utc_one(
    session: Session, personas: Personas
) -> None:
    """23:30 UTC on 5 December is already 6 December in Shanghai: a follow-up that day is fine."""
    customer = factories.customer()
    entry = service.add_interaction(
        session,
        personas.alice_analyst.actor,
        customer_id=customer.id,
        data=call(
            occurred_at=datetime(2026, 12, 5, 23, 30, tzinfo=UTC), follow_up_on=date(2026, 12, 6)
        ),
        now=NOW,
    )
    assert entry.follow_up_on == date(2026, 12, 6)


def test_a_summary_at_the_limit_and_a_clock_a_little_ahead_are_accepted(
    session: Session, personas: Personas
) -> None:
    customer = factories.customer()
    entry = service.add_interaction(
        session,
        personas.alice_analyst.actor,
        customer_id=customer.id,
        data=call("长" * MAX_SUMMARY_LENGTH, occurred_at=NOW + timedelta(minutes=2)),
        now=NOW,
    )
    assert len(entry.summary) == MAX_SUMMARY_LENGTH


def test_an_auditor_may_read_the_log_but_not_write_in_it(
    session: Session, personas: Personas
) -> None:
    customer = factories.customer()
    auditor = personas.ada_auditor.actor
    with pytest.raises(PermissionDenied):
        service.add_interaction(session, auditor, customer_id=customer.id, data=call(), now=NOW)
    assert service.list_interactions(session, auditor, customer_id=customer.id).total == 0


def test_an_archived_customer_takes_no_new_entries_and_a_missing_one_is_not_found(
    session: Session, personas: Personas
) -> None:
    customer = factories.customer()
    archive(customer)
    session.flush()
    actor = personas.alice_analyst.actor
    with pytest.raises(RecordArchived):
        service.add_interaction(session, actor, customer_id=customer.id, data=call(), now=NOW)
    with pytest.raises(CustomerNotFound):
        service.add_interaction(session, actor, customer_id=987_654, data=call(), now=NOW)
    with pytest.raises(CustomerNotFound):
        service.list_interactions(session, actor, customer_id=987_654)
