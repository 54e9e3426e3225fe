"""The order credit check and its holds. Callers own the transaction; nothing here commits.

``check_order`` is what an ERP calls before it confirms, delivers or invoices an order:

1. the customer's credit-account row is written first — a row lock on PostgreSQL, the write lock
   on SQLite — so checks of one customer take turns and two orders can never both spend the same
   headroom;
2. the order's latest check is looked up: the same request again gets the stored answer (no new
   row); a changed order (another amount, stage or delivery date) is checked again as a new row,
   except that an approved order whose value only went down keeps its approval (as SAP re-checks
   only on an increase);
3. the facts are read (exposure without this order's own earlier amount, limit, blocks, dunning
   level, promises to pay, payment behaviour), the active rule set's steps for the customer's risk
   class are evaluated, and the decision is stored with every step's result;
4. an approved order counts in exposure at once: its ``orders`` row is created (or its amount
   updated) in the same transaction. A hold opens a release task instead.

A credit manager then releases a hold — fully, partially (a smaller approved amount) or on
prepayment terms (the prepaid part never becomes exposure) — or rejects it, documenting a reason
code and a comment. Whoever asked for the check cannot decide its hold.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fengkong import recorders
from fengkong.auth import service as auth_service
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.config_versions import StoredConfig
from fengkong.credit_checks import configs, repository, sources
from fengkong.credit_checks.models import CheckRuleSetVersion, CreditCheck, CreditHold
from fengkong.credit_checks.repository import OrderRow
from fengkong.credit_checks.rules import (
    CheckFacts,
    RuleSet,
    Step,
    StepKind,
    StepResult,
    Verdict,
    check,
)
from fengkong.credit_checks.status import (
    HOLD_TRANSITIONS,
    REJECT_REASONS,
    RELEASE_REASONS,
    Decision,
    DecisionReason,
    HoldStatus,
    ReleaseKind,
    Stage,
    StepOutcome,
)
from fengkong.customers import service as customers_service
from fengkong.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from fengkong.kit.amounts import PositiveMoneyIn
from fengkong.kit.money import Money
from fengkong.kit.time import business_today, utcnow
from fengkong.orders import service as orders_service
from fengkong.orders.models import Order
from fengkong.orders.schemas import OrderCreate, OrderUpdate
from fengkong.records import field_error
from fengkong.settings import get_settings


class CreditCheckNotFound(NotFound):
    code = "credit_check_not_found"


class CreditHoldNotFound(NotFound):
    code = "credit_hold_not_found"


class HoldAlreadyDecided(Conflict):
    code = "credit_hold_already_decided"


class OrderOfAnotherCustomer(Conflict):
    code = "order_of_another_customer"


class RequesterCannotDecide(PermissionDenied):
    code = "requester_cannot_decide"


class CurrencyNotCreditCurrency(ValidationFailed):
    code = "currency_not_credit_currency"


class InvalidRelease(ValidationFailed):
    code = "invalid_release"


@dataclass(frozen=True, slots=True)
class CheckRequest:
    order_number: str
    amount: Money
    customer_id: int | None = None
    customer_uscc: str | None = None
    stage: Stage = Stage.ORDER
    requested_delivery_on: date | None = None


@dataclass(frozen=True, slots=True)
class CheckAnswer:
    """A stored check and whether this call only replayed it."""

    check: CreditCheck
    hold: CreditHold | None
    replayed: bool
    rule_set_version: int


def _today() -> date:
    return business_today(get_settings().zone)


def _lock_customer(session: Session, request: CheckRequest) -> repository.LockedCustomer:
    """The customer the request names, locked for this check (``repository.lock_customer``)."""
    if request.customer_id is not None:
        field, value = "customer_id", str(request.customer_id)
    elif request.customer_uscc is not None:
        field, value = "customer_uscc", request.customer_uscc
    else:
        raise ValidationFailed(
            "name the customer by customer_id or customer_uscc",
            details=[field_error("customer_id", None, "required")],
        )
    customer = repository.lock_customer(
        session, customer_id=request.customer_id, uscc=request.customer_uscc
    )
    if customer is None:
        raise customers_service.UnknownCustomer(
            f"no customer with {field} {value}",
            details=[field_error(field, value, "no such customer")],
        )
    return customer


def _fingerprint(customer_id: int, request: CheckRequest) -> str:
    canonical = json.dumps(
        {
            "customer_id": customer_id,
            "amount_minor": request.amount.minor_units,
            "currency": request.amount.currency,
            "stage": request.stage.value,
            "requested_delivery_on": (
                request.requested_delivery_on.isoformat() if request.requested_delivery_on else None
            ),
        },
        sort_keys=True,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _hold_of(session: Session, check_id: int) -> CreditHold | None:
    return session.scalars(
        select(CreditHold).where(CreditHold.credit_check_id == check_id)
    ).one_or_none()


def _stored_check(session: Session, check_id: int) -> CreditCheck:
    """A check this transaction has just found (its customer is locked: it stays)."""
    record = session.get(CreditCheck, check_id)
    assert record is not None  # noqa: S101 - read under the customer's lock a moment ago
    return record


def _approved_amount(session: Session, previous: repository.LatestCheck) -> int | None:
    """What the order's latest check let through, in minor units (``None``: nothing)."""
    if previous.decision is Decision.APPROVE:
        return previous.amount_minor
    if previous.decision is Decision.HOLD:
        hold = _hold_of(session, previous.check_id)
        if hold is not None and hold.status is HoldStatus.RELEASED:
            return hold.approved_minor
    return None


def check_order(
    session: Session, actor: Actor, *, request: CheckRequest, today: date | None = None
) -> CheckAnswer:
    """Approve, hold or reject an ERP order (see the module docstring for the steps)."""
    auth_service.ensure_permission(actor, Permission.CREDIT_CHECKS_RUN)
    customer = _lock_customer(session, request)
    fingerprint = _fingerprint(customer.customer_id, request)
    day = today or _today()
    read = sources.order_and_limit(session, request.order_number, customer.customer_id, on=day)
    state, limit, risk_class = read.state, read.limit, read.risk_class
    previous = state.latest
    if previous is not None and previous.customer_id != customer.customer_id:
        raise OrderOfAnotherCustomer(
            f"order {request.order_number} was checked for customer {previous.customer_id}",
            details=[field_error("order_id", request.order_number, "belongs to another customer")],
        )
    active = _active_rule_set(session, state.rule_set)
    if previous is not None and previous.request_sha256 == fingerprint:
        replayed = _stored_check(session, previous.check_id)
        version = (
            active.version
            if previous.rule_set_version_id == active.row_id
            else _version_of(session, replayed)
        )
        return CheckAnswer(replayed, _hold_of(session, previous.check_id), True, version)

    rule_set = active.config
    if request.amount.currency != rule_set.currency:
        raise CurrencyNotCreditCurrency(
            f"orders are checked in the credit currency {rule_set.currency}",
            details=[field_error("currency", request.amount.currency, "not the credit currency")],
        )
    order = state.order
    if order is not None and order.customer_id != customer.customer_id:
        raise OrderOfAnotherCustomer(
            f"order {request.order_number} belongs to customer {order.customer_id}",
            details=[field_error("order_id", request.order_number, "belongs to another customer")],
        )
    steps = active.config.steps_for(risk_class)
    facts = _facts(session, customer.customer_id, request, order, limit, steps, day)

    approved_before = None if previous is None else _approved_amount(session, previous)
    verdict: Verdict
    if customer.archived:
        verdict = _single(Decision.REJECT, StepKind.BLOCKS, "customer_archived", {})
    elif (
        approved_before is not None
        and previous is not None
        and request.amount.minor_units <= approved_before
        and request.amount.currency == previous.currency
        and request.stage is previous.stage
    ):
        verdict = _single(
            Decision.APPROVE,
            StepKind.STATIC_LIMIT,
            "order_value_reduced",
            {"order_amount": request.amount.minor_units, "approved": approved_before},
        )
    else:
        verdict = check(rule_set, risk_class, facts)
        if not verdict.checked:
            verdict = _single(
                Decision.APPROVE,
                StepKind.STATIC_LIMIT,
                "stage_not_checked",
                {"stage": request.stage.value},
            )

    order_id = None if order is None else order.order_id
    # Core inserts, not ORM adds: a flush of the order, check and hold cost about a third of
    # the check's CPU. Their audit entries and events are still one insert each, at the end.
    created: list[tuple[type[Any], dict[str, Any]]] = []
    if verdict.decision is Decision.APPROVE:
        if order is None:
            booked = _book_order(
                session, customer.customer_id, request, request.amount.minor_units, day
            )
            created.append((Order, booked))
            order_id = booked["id"]
        else:
            order_id = _recount_order(session, actor, order, request, request.amount.minor_units)
    stored = recorders.insert_created(
        session,
        CreditCheck,
        {
            "order_number": request.order_number,
            "customer_id": customer.customer_id,
            "order_id": order_id,
            "stage": request.stage,
            "currency": request.amount.currency,
            "amount_minor": request.amount.minor_units,
            "requested_delivery_on": request.requested_delivery_on,
            "request_sha256": fingerprint,
            "decision": verdict.decision,
            "risk_class": risk_class,
            "exposure_before_minor": facts.exposure_before,
            "exposure_after_minor": facts.exposure_after,
            "limit_minor": facts.limit,
            "available_credit_minor": facts.available_credit,
            "rule_set_version_id": active.row_id,
            "reasons": [result.as_dict() for result in verdict.results],
            "facts": _facts_record(facts),
            "checked_on": day,
            "checked_by": actor.username,
            "checked_by_user_id": actor.user_id,
        },
    )
    created.append((CreditCheck, stored))
    if previous is not None and _supersede_hold(session, previous.check_id):
        # The superseded hold is decided after the check is announced and before the new hold
        # opens (audit and events in order).
        recorders.record_created(session, created)
        created = []
        session.flush()
    held: dict[str, Any] | None = None
    if verdict.decision is Decision.HOLD:
        held = recorders.insert_created(
            session,
            CreditHold,
            {
                "credit_check_id": stored["id"],
                "customer_id": customer.customer_id,
                "order_number": request.order_number,
                "currency": request.amount.currency,
                "amount_minor": request.amount.minor_units,
                "status": HoldStatus.OPEN,
                "requested_by": actor.username,
                "requested_by_user_id": actor.user_id,
            },
        )
        created.append((CreditHold, held))
    recorders.record_created(session, created)
    record: CreditCheck = recorders.attach_created(session, CreditCheck, stored)
    hold: CreditHold | None = (
        None if held is None else recorders.attach_created(session, CreditHold, held)
    )
    return CheckAnswer(record, hold, False, active.version)


def _active_rule_set(
    session: Session, found: repository.ActiveRuleSet | None
) -> StoredConfig[RuleSet]:
    """The active rule set from the version ``order_state`` read (parsed once per process and
    text), storing the shipped default first when none is stored yet."""
    if found is None:
        return configs.ensure_active(session)
    parsed = configs.rule_sets.stored(session, found.row_id, found.sha256)
    return StoredConfig(found.row_id, found.version, parsed)


def _single(decision: Decision, step: StepKind, code: str, values: dict[str, Any]) -> Verdict:
    outcome = {
        Decision.APPROVE: StepOutcome.PASS,
        Decision.HOLD: StepOutcome.BLOCK,
        Decision.REJECT: StepOutcome.REJECT,
    }[decision]
    return Verdict(decision, (StepResult(step, outcome, code, values),), checked=True)


def _facts(
    session: Session,
    customer_id: int,
    request: CheckRequest,
    order: OrderRow | None,
    limit: sources.LimitFact | None,
    steps: tuple[Step, ...],
    day: date,
) -> CheckFacts:
    kinds = frozenset(step.kind for step in steps)
    exposure = sources.exposure(session, customer_id, as_of=day)
    own = order.amount_minor if order is not None and order.counted else 0
    exposure_before = max(
        0, exposure.open_receivables + exposure.open_orders - own - exposure.unapplied_payments
    )
    dynamic = [step for step in steps if step.kind is StepKind.DYNAMIC_LIMIT]
    horizons = {
        days: day + timedelta(days=days)
        for days in (int(step.params["horizon_days"]) for step in dynamic)
    }
    standing = sources.standing(
        session,
        customer_id,
        on=day,
        currency=request.amount.currency,
        promised=bool(kinds & {StepKind.OLDEST_OPEN_ITEM, StepKind.OVERDUE_SHARE}),
        dunning=StepKind.DUNNING_LEVEL in kinds,
        blocks=StepKind.BLOCKS in kinds,
        horizons=horizons,
        except_order_id=None if order is None else order.order_id,
    )
    return CheckFacts(
        currency=request.amount.currency,
        stage=request.stage,
        as_of=day,
        order_amount=request.amount.minor_units,
        exposure_before=exposure_before,
        limit=None if limit is None else limit.amount_minor,
        open_receivables=exposure.open_receivables,
        open_orders=max(0, exposure.open_orders - own),
        unapplied_payments=exposure.unapplied_payments,
        overdue=exposure.overdue_undisputed,
        overdue_weighted=exposure.overdue_weighted_undisputed,
        oldest_days_past_due=exposure.oldest_days_past_due_undisputed,
        disputed=exposure.disputed,
        promised=standing.promised,
        dunning_level=standing.dunning_level,
        days_late=sources.days_late(session, customer_id)
        if StepKind.PAYMENT_BEHAVIOUR in kinds
        else None,
        blocks=standing.blocks,
        order_due_on=request.requested_delivery_on,
        beyond_horizon=standing.beyond_horizon,
    )


def _facts_record(facts: CheckFacts) -> dict[str, Any]:
    return {
        "open_receivables": facts.open_receivables,
        "open_orders": facts.open_orders,
        "unapplied_payments": facts.unapplied_payments,
        "overdue": facts.overdue,
        "overdue_weighted": facts.overdue_weighted,
        "oldest_days_past_due": facts.oldest_days_past_due,
        "disputed": facts.disputed,
        "promised": facts.promised,
        "dunning_level": facts.dunning_level,
        "days_late": facts.days_late,
        "blocks": [block.kind for block in facts.blocks],
        "beyond_horizon": {str(days): amount for days, amount in facts.beyond_horizon.items()},
    }


def _version_of(session: Session, record: CreditCheck) -> int:
    row = session.get(CheckRuleSetVersion, record.rule_set_version_id)
    return 0 if row is None else row.version


def _supersede_hold(session: Session, check_id: int) -> bool:
    """Mark the open hold of an earlier check superseded; whether there was one."""
    hold = _hold_of(session, check_id)
    if hold is None or hold.status is not HoldStatus.OPEN:
        return False
    hold.status = HoldStatus.SUPERSEDED
    return True


def _new_order(
    customer_id: int, request: CheckRequest, amount_minor: int, day: date
) -> OrderCreate:
    money = Money.from_minor_units(amount_minor, request.amount.currency)
    return OrderCreate(
        customer_id=customer_id,
        order_number=request.order_number,
        ordered_on=day,
        requested_delivery_on=request.requested_delivery_on,
        amount=PositiveMoneyIn(amount=money.amount, currency=money.currency),
    )


def _book_order(
    session: Session, customer_id: int, request: CheckRequest, amount_minor: int, day: date
) -> dict[str, Any]:
    """The ``orders`` row that makes exposure see a new order at ``amount_minor``, inserted
    now and recorded with the check."""
    return orders_service.insert_order_of(
        session, customer_id, data=_new_order(customer_id, request, amount_minor, day)
    )


def _recount_order(
    session: Session, actor: Actor, order: OrderRow, request: CheckRequest, amount_minor: int
) -> int:
    """Make exposure see a known order at ``amount_minor``. An order already invoiced or
    cancelled is left alone (its invoice, or nothing, is what counts)."""
    if order.counted and order.amount_minor != amount_minor:
        money = Money.from_minor_units(amount_minor, request.amount.currency)
        orders_service.update_order(
            session,
            actor,
            order_id=order.order_id,
            data=OrderUpdate(amount=PositiveMoneyIn(amount=money.amount, currency=money.currency)),
        )
    return order.order_id


# --- reading --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CheckView:
    check: CreditCheck
    hold: CreditHold | None
    rule_set_version: int


def get_check(session: Session, actor: Actor, *, check_id: int) -> CheckView:
    auth_service.ensure_permission(actor, Permission.CREDIT_CHECKS_READ)
    record = session.get(CreditCheck, check_id)
    if record is None:
        raise CreditCheckNotFound(f"no credit check with id {check_id}")
    return CheckView(record, _hold_of(session, record.id), _version_of(session, record))


def list_holds(
    session: Session,
    actor: Actor,
    *,
    status: HoldStatus | None = HoldStatus.OPEN,
    customer_id: int | None = None,
    limit: int = 200,
) -> list[CreditHold]:
    """Holds, oldest first when open (work the queue in order), newest first otherwise."""
    auth_service.ensure_permission(actor, Permission.CREDIT_CHECKS_READ)
    statement = select(CreditHold)
    if status is not None:
        statement = statement.where(CreditHold.status == status)
    if customer_id is not None:
        statement = statement.where(CreditHold.customer_id == customer_id)
    order = CreditHold.id.asc() if status is HoldStatus.OPEN else CreditHold.id.desc()
    return list(session.scalars(statement.order_by(order).limit(limit)))


def get_hold(session: Session, actor: Actor, *, hold_id: int) -> CreditHold:
    auth_service.ensure_permission(actor, Permission.CREDIT_CHECKS_READ)
    hold = session.get(CreditHold, hold_id)
    if hold is None:
        raise CreditHoldNotFound(f"no credit hold with id {hold_id}")
    return hold


def checks_of_customer(
    session: Session, actor: Actor, *, customer_id: int, limit: int = 50
) -> Sequence[CreditCheck]:
    auth_service.ensure_permission(actor, Permission.CREDIT_CHECKS_READ)
    return list(
        session.scalars(
            select(CreditCheck)
            .where(CreditCheck.customer_id == customer_id)
            .order_by(CreditCheck.id.desc())
            .limit(limit)
        )
    )


# --- deciding holds -------------------------------------------------------------------------


def _decidable(session: Session, actor: Actor, hold_id: int, target: HoldStatus) -> CreditHold:
    auth_service.ensure_permission(actor, Permission.CREDIT_CHECKS_DECIDE)
    hold = session.get(CreditHold, hold_id)
    if hold is None:
        raise CreditHoldNotFound(f"no credit hold with id {hold_id}")
    if hold.requested_by_user_id is not None and hold.requested_by_user_id == actor.user_id:
        raise RequesterCannotDecide(
            "whoever asked for the credit check cannot decide its hold",
            details={"requested_by": hold.requested_by},
        )
    repository.lock_customer(session, customer_id=hold.customer_id, uscc=None)
    session.refresh(hold)
    if target not in HOLD_TRANSITIONS[hold.status]:
        raise HoldAlreadyDecided(
            f"hold {hold_id} is {hold.status.value}; only open holds can be decided"
        )
    return hold


def _reason(
    reason: DecisionReason, allowed: frozenset[DecisionReason], comment: str | None
) -> None:
    if reason not in allowed:
        raise InvalidRelease(
            f"{reason.value} is not a reason for this decision",
            details=[field_error("reason_code", reason.value, "not allowed for this decision")],
        )
    if reason is DecisionReason.OTHER and not (comment or "").strip():
        raise InvalidRelease(
            "say why in the comment when the reason is 'other'",
            details=[field_error("comment", comment, "required with reason 'other'")],
        )


def release_hold(
    session: Session,
    actor: Actor,
    *,
    hold_id: int,
    kind: ReleaseKind,
    reason: DecisionReason,
    comment: str | None = None,
    approved_amount: Money | None = None,
    prepayment: Money | None = None,
    today: date | None = None,
) -> CreditHold:
    """Let a held order through. ``partial`` approves ``approved_amount`` (less than the order);
    ``prepayment`` lets the whole order through against ``prepayment`` paid in advance, so only
    the rest becomes exposure. The counted amount is booked on the order at once."""
    hold = _decidable(session, actor, hold_id, HoldStatus.RELEASED)
    _reason(reason, RELEASE_REASONS, comment)
    counted = hold.amount_minor
    approved = hold.amount_minor
    prepaid: int | None = None
    if kind is ReleaseKind.PARTIAL:
        minor = _amount_in(hold, approved_amount, "approved_amount")
        if not 0 < minor < hold.amount_minor:
            raise InvalidRelease(
                "a partial release approves more than nothing and less than the order",
                details=[field_error("approved_amount", str(approved_amount), "out of range")],
            )
        counted = approved = minor
    elif kind is ReleaseKind.PREPAYMENT:
        prepaid = _amount_in(hold, prepayment, "prepayment")
        if not 0 < prepaid <= hold.amount_minor:
            raise InvalidRelease(
                "the prepayment is more than nothing and at most the order",
                details=[field_error("prepayment", str(prepayment), "out of range")],
            )
        counted = hold.amount_minor - prepaid
    record = session.get(CreditCheck, hold.credit_check_id)
    assert record is not None  # noqa: S101 - a hold's check is deleted only with it
    latest = repository.latest_check(session, hold.order_number)
    if latest is not None and latest.id != record.id:
        raise HoldAlreadyDecided(f"order {hold.order_number} was checked again since this hold")
    order = repository.find_order(session, hold.order_number)
    request = CheckRequest(
        order_number=hold.order_number,
        amount=Money.from_minor_units(hold.amount_minor, hold.currency),
        customer_id=hold.customer_id,
        stage=record.stage,
        requested_delivery_on=record.requested_delivery_on,
    )
    if counted > 0:
        if order is None:
            record.order = orders_service.add_order(
                session,
                data=_new_order(hold.customer_id, request, counted, today or _today()),
            )
        else:
            record.order_id = _recount_order(session, actor, order, request, counted)
    hold.status = HoldStatus.RELEASED
    hold.release_kind = kind
    hold.approved_minor = approved
    hold.prepayment_minor = prepaid
    _decided(hold, actor, reason, comment)
    session.flush()
    return hold


def reject_hold(
    session: Session,
    actor: Actor,
    *,
    hold_id: int,
    reason: DecisionReason,
    comment: str | None = None,
) -> CreditHold:
    """Refuse a held order; it never becomes exposure."""
    hold = _decidable(session, actor, hold_id, HoldStatus.REJECTED)
    _reason(reason, REJECT_REASONS, comment)
    hold.status = HoldStatus.REJECTED
    _decided(hold, actor, reason, comment)
    session.flush()
    return hold


def _decided(hold: CreditHold, actor: Actor, reason: DecisionReason, comment: str | None) -> None:
    hold.reason_code = reason
    hold.comment = (comment or "").strip() or None
    hold.decided_by = actor.username
    hold.decided_by_user_id = actor.user_id
    hold.decided_at = utcnow()


def _amount_in(hold: CreditHold, money: Money | None, field: str) -> int:
    if money is None:
        raise InvalidRelease(
            f"{field} is required for this kind of release",
            details=[field_error(field, None, "required")],
        )
    if money.currency != hold.currency:
        raise InvalidRelease(
            f"{field} must be in the order's currency {hold.currency}",
            details=[field_error(field, money.currency, f"not {hold.currency}")],
        )
    return money.minor_units
