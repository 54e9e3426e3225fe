"""The interaction log: calls, visits, emails and notes users record about a customer, newest
first on the customer page. Adding one needs ``customers:write`` (the people who talk to customers:
sales, analysts, risk managers); reading needs ``customers:read``. Entries are never edited or
deleted; the flush hook audits each one like every other write. Callers own the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from fengkong.auth import service as auth_service
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.customers.models import CustomerInteraction
from fengkong.customers.schemas import InteractionCreate
from fengkong.customers.service import get_customer
from fengkong.errors import ValidationFailed
from fengkong.kit.pagination import Page, PageRequest, paginate
from fengkong.kit.time import ensure_utc, utcnow
from fengkong.records import ensure_not_archived, field_error
from fengkong.settings import get_settings

MAX_SUMMARY_LENGTH = 4_000
CLOCK_SKEW = timedelta(minutes=5)
"""How far ahead of the server's clock a browser's "now" may be and still count as now."""


class InteractionProblem(StrEnum):
    """What can be wrong with an interaction, by field; entry points word each in their language."""

    SUMMARY_REQUIRED = "summary_required"
    SUMMARY_TOO_LONG = "summary_too_long"
    OCCURRED_IN_FUTURE = "occurred_in_future"
    FOLLOW_UP_BEFORE_INTERACTION = "follow_up_before_interaction"


_MESSAGES: dict[InteractionProblem, str] = {
    InteractionProblem.SUMMARY_REQUIRED: "say what was discussed",
    InteractionProblem.SUMMARY_TOO_LONG: f"at most {MAX_SUMMARY_LENGTH:,} characters",
    InteractionProblem.OCCURRED_IN_FUTURE: "cannot be in the future",
    InteractionProblem.FOLLOW_UP_BEFORE_INTERACTION: "cannot be before the interaction",
}


@dataclass(frozen=True, slots=True)
class Problem:
    field: str
    code: InteractionProblem

    @property
    def message(self) -> str:
        return _MESSAGES[self.code]


class InvalidInteraction(ValidationFailed):
    code = "invalid_interaction"


def check_interaction(
    *,
    summary: str,
    occurred_at: datetime,
    follow_up_on: date | None,
    now: datetime,
    zone: ZoneInfo,
) -> list[Problem]:
    """Every problem of the interaction, by field (none: it may be logged). The follow-up is
    compared with the business day the interaction happened on, where the business is."""
    problems: list[Problem] = []
    text = summary.strip()
    if not text:
        problems.append(Problem("summary", InteractionProblem.SUMMARY_REQUIRED))
    elif len(text) > MAX_SUMMARY_LENGTH:
        problems.append(Problem("summary", InteractionProblem.SUMMARY_TOO_LONG))
    if occurred_at > now + CLOCK_SKEW:
        problems.append(Problem("occurred_at", InteractionProblem.OCCURRED_IN_FUTURE))
    if follow_up_on is not None and follow_up_on < occurred_at.astimezone(zone).date():
        problems.append(Problem("follow_up_on", InteractionProblem.FOLLOW_UP_BEFORE_INTERACTION))
    return problems


def add_interaction(
    session: Session,
    actor: Actor,
    *,
    customer_id: int,
    data: InteractionCreate,
    now: datetime | None = None,
) -> CustomerInteraction:
    """Log the interaction as ``actor``'s; an archived customer takes no new entries."""
    auth_service.ensure_permission(actor, Permission.CUSTOMERS_WRITE)
    customer = get_customer(session, actor, customer_id)
    ensure_not_archived(customer, label=f"customer {customer_id}")
    problems = check_interaction(
        summary=data.summary,
        occurred_at=data.occurred_at,
        follow_up_on=data.follow_up_on,
        now=now or utcnow(),
        zone=get_settings().zone,
    )
    if problems:
        raise InvalidInteraction(
            "the interaction was not logged: "
            + "; ".join(f"{problem.field} {problem.message}" for problem in problems),
            details=[
                field_error(problem.field, getattr(data, problem.field), problem.message)
                for problem in problems
            ],
        )
    interaction = CustomerInteraction(
        customer_id=customer.id,
        kind=data.kind,
        occurred_at=ensure_utc(data.occurred_at),
        summary=data.summary.strip(),
        follow_up_on=data.follow_up_on,
        author=actor.username,
        author_id=actor.user_id,
    )
    session.add(interaction)
    session.flush()
    return interaction


def list_interactions(
    session: Session,
    actor: Actor,
    *,
    customer_id: int,
    page: PageRequest = PageRequest(),  # noqa: B008 - frozen, safe as a default
) -> Page[CustomerInteraction]:
    """The customer's log, latest interaction first (of two at the same time, the later entry)."""
    auth_service.ensure_permission(actor, Permission.CUSTOMERS_READ)
    get_customer(session, actor, customer_id)
    statement = (
        select(CustomerInteraction)
        .where(CustomerInteraction.customer_id == customer_id)
        .order_by(CustomerInteraction.occurred_at.desc(), CustomerInteraction.id.desc())
    )
    return paginate(session, statement, page)
