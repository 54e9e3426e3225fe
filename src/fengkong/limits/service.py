"""Credit-limit use cases: the limit in force, recommendations from the limit policy, limit
requests with maker-checker approval, expiry, and credit blocks set by hand or by block rules.
Callers own the transaction; nothing here commits.

Rules the code keeps (docs/limits.md):

* one permanent limit is active per customer; active temporary limits add on top from
  ``valid_from`` through ``valid_until``;
* an approved request takes effect in the same transaction: the new limit is active and the
  previous permanent limit superseded;
* the requester never decides their own request; an approver must hold a role of the request's
  tier; a two-approval tier needs two different users;
* a rule block lifts by itself only when its condition clears and nobody confirmed it; a user
  with ``blocks:write`` may release any block, giving a reason.

Every change is an ORM write, so the recorders audit it and put its event on the outbox
(``credit_limit_changed`` for limits); the demo's bulk grant writes both itself.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session

from fengkong import recorders
from fengkong.auth import service as auth_service
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.customers import service as customers_service
from fengkong.customers.models import Customer
from fengkong.db import Base
from fengkong.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from fengkong.exposure import service as exposure_service
from fengkong.kit.bulk import insert_rows
from fengkong.kit.money import Money
from fengkong.kit.time import business_today, utcnow
from fengkong.limits import configs, inputs, messages
from fengkong.limits import policy as limit_policy
from fengkong.limits.models import (
    LIMIT_CHANGED,
    CreditBlock,
    CreditLimit,
    LimitRequest,
    LimitRequestComment,
    LimitRequestDecision,
)
from fengkong.limits.policy import BlockFacts, LimitPolicy, ReasonLine, Recommendation, recommend
from fengkong.limits.status import (
    BLOCK_TRANSITIONS,
    LIMIT_TRANSITIONS,
    REQUEST_TRANSITIONS,
    BlockKind,
    BlockSource,
    BlockStatus,
    Decision,
    LimitKind,
    LimitStatus,
    RequestKind,
    RequestStatus,
)
from fengkong.records import change_status, check_version, field_error
from fengkong.risk import service as risk_service
from fengkong.settings import get_settings

MAX_JUSTIFICATION = 4_000
MAX_REASON = 500


class LimitRequestNotFound(NotFound):
    code = "limit_request_not_found"


class BlockNotFound(NotFound):
    code = "credit_block_not_found"


class RequestNotOpen(Conflict):
    code = "limit_request_not_open"


class OpenRequestExists(Conflict):
    code = "limit_request_open"


class AlreadyDecided(Conflict):
    code = "limit_request_already_decided"


class OwnRequest(PermissionDenied):
    """Maker-checker: whoever asked for a limit never decides it."""

    code = "own_limit_request"


class NotInTier(PermissionDenied):
    code = "not_an_approver_of_tier"


class InvalidLimitRequest(ValidationFailed):
    code = "invalid_limit_request"


class BlockNotActive(Conflict):
    code = "credit_block_not_active"


# --- results --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LimitInForce:
    """The limit a customer may use on a day: the active permanent limit plus the temporary
    limits valid that day. ``kind`` is ``temporary`` only when there is no permanent limit;
    ``valid_until`` is the earliest end of a temporary part; ``limit_id`` names the permanent
    limit (else the first temporary one)."""

    customer_id: int
    amount: Money
    permanent: Money | None
    temporary: Money
    kind: LimitKind
    valid_until: date | None
    limit_id: int
    risk_class: str


@dataclass(frozen=True, slots=True)
class LimitRecommendation:
    customer_id: int
    amount: Money
    grade: str | None
    risk_class: str
    basis: str
    reasons: tuple[ReasonLine, ...]
    policy_name: str
    policy_version: int | None
    """``None``: the shipped policy, not stored yet."""

    def texts(self, locale: Any) -> list[str]:
        return [
            messages.text(line.key, line.values, self.amount.currency, locale)
            for line in self.reasons
        ]


@dataclass(frozen=True, slots=True)
class BlockView:
    block_id: int
    customer_id: int
    kind: BlockKind
    reason: str
    source: str
    """``manual`` or ``rule:<name>``."""
    set_by: str
    set_at: datetime
    confirmed: bool


@dataclass(frozen=True, slots=True)
class RequestDetail:
    request: LimitRequest
    decisions: tuple[LimitRequestDecision, ...]
    comments: tuple[LimitRequestComment, ...]

    @property
    def approvals(self) -> int:
        return sum(1 for decision in self.decisions if decision.decision is Decision.APPROVE)


@dataclass(frozen=True, slots=True)
class CustomerLimit:
    customer_id: int
    in_force: LimitInForce | None
    recommendation: LimitRecommendation
    history: tuple[CreditLimit, ...]
    open_requests: tuple[LimitRequest, ...]
    blocks: tuple[BlockView, ...]


@dataclass(frozen=True, slots=True)
class BlockRun:
    today: date
    customers: int
    set: tuple[int, ...] = ()
    lifted: tuple[int, ...] = ()
    kept: int = 0
    by_rule: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Expiry:
    today: date
    limits_expired: tuple[int, ...]
    requests_expired: tuple[int, ...]


def _today(today: date | None) -> date:
    return today or business_today(get_settings().zone)


def _customer(session: Session, customer_id: int) -> Customer:
    customer = customers_service.find_customer(session, customer_id)
    if customer is None:
        raise customers_service.CustomerNotFound(
            f"no customer {customer_id}",
            details=[field_error("customer_id", customer_id, "unknown customer")],
        )
    return customer


# --- the limit in force ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LimitPart:
    """What the limit in force needs of one active limit row (``LIMIT_PART_COLUMNS``): read as
    columns, not ``CreditLimit`` entities, on the credit check's hot path."""

    limit_id: int
    kind: LimitKind
    currency: str
    amount_minor: int
    valid_until: date | None


LIMIT_PART_COLUMNS = (
    CreditLimit.id,
    CreditLimit.kind,
    CreditLimit.currency,
    CreditLimit.amount_minor,
    CreditLimit.valid_until,
)


def limit_parts_of(rows: Iterable[Sequence[Any]]) -> list[LimitPart]:
    """The limit parts in rows of ``LIMIT_PART_COLUMNS`` (an outer join's empty row skipped)."""
    return [
        LimitPart(limit_id, LimitKind(kind), currency, amount_minor, valid_until)
        for limit_id, kind, currency, amount_minor, valid_until in rows
        if limit_id is not None
    ]


def _active_limits(session: Session, customer_id: int, on: date) -> list[LimitPart]:
    statement = (
        select(*LIMIT_PART_COLUMNS).where(_is_in_force(customer_id, on)).order_by(CreditLimit.id)
    )
    return limit_parts_of(session.execute(statement))


def _is_in_force(
    customer_id: int | ColumnElement[int], on: date | ColumnElement[date]
) -> ColumnElement[bool]:
    return and_(
        CreditLimit.customer_id == customer_id,
        CreditLimit.status == LimitStatus.ACTIVE,
        CreditLimit.valid_from <= on,
        CreditLimit.valid_until.is_(None) | (CreditLimit.valid_until >= on),
    )


def _in_force(customer_id: int, rows: Sequence[LimitPart], risk_class: str) -> LimitInForce | None:
    if not rows:
        return None
    permanent = next((row for row in rows if row.kind is LimitKind.PERMANENT), None)
    temporaries = [row for row in rows if row.kind is LimitKind.TEMPORARY]
    currency = rows[0].currency
    temporary = Money.from_minor_units(sum(row.amount_minor for row in temporaries), currency)
    ends = [row.valid_until for row in temporaries if row.valid_until is not None]
    total = sum(row.amount_minor for row in rows if row.currency == currency)
    return LimitInForce(
        customer_id=customer_id,
        amount=Money.from_minor_units(total, currency),
        permanent=(
            None
            if permanent is None
            else Money.from_minor_units(permanent.amount_minor, permanent.currency)
        ),
        temporary=temporary,
        kind=LimitKind.PERMANENT if permanent is not None else LimitKind.TEMPORARY,
        valid_until=min(ends) if ends else None,
        limit_id=(permanent or temporaries[0]).limit_id,
        risk_class=risk_class,
    )


def limit_in_force(session: Session, customer_id: int, *, on: date) -> LimitInForce | None:
    """The customer's limit on ``on``, or ``None`` without any. Two small queries (limits, and
    the grade for the risk class): the order credit check calls it on its hot path."""
    rows = _active_limits(session, customer_id, on)
    if not rows:
        return None
    return _in_force(customer_id, rows, risk_class(session, customer_id))


def limit_and_grade_parts(
    customer_id: ColumnElement[int], on: ColumnElement[date]
) -> tuple[tuple[ColumnElement[Any], ...], ColumnElement[bool]]:
    """For a statement that reads the limit in force and the risk class with other facts (the
    order credit check, on every order): the grade and the active policy's id and digest as
    scalar columns, and the condition that outer-joins ``CreditLimit`` to the limits in force
    (whose ``LIMIT_PART_COLUMNS`` the statement reads). ``limit_and_risk_class_of`` then reads
    the values."""
    policies = configs.policies
    columns = (
        risk_service.grade_of(customer_id).label("grade"),
        policies.active_column("id").label("policy_id"),
        policies.active_column("sha256").label("policy_sha256"),
    )
    return columns, _is_in_force(customer_id, on)


def limit_and_risk_class_of(
    session: Session,
    customer_id: int,
    grade_and_policy: Sequence[Any],
    limits: Sequence[LimitPart],
) -> tuple[LimitInForce | None, str]:
    """What ``limit_and_grade_parts`` read: the grade, policy id and digest, and the limits."""
    grade, policy_id, digest = grade_and_policy
    policies = configs.policies
    policy = (
        policies.parse(configs.shipped_yaml())
        if digest is None
        else policies.stored(session, policy_id, digest)
    )
    risk_class = policy.risk_class(grade)
    return _in_force(customer_id, limits, risk_class), risk_class


def _grade(session: Session, customer_id: int) -> str | None:
    return risk_service.grades_of(session, [customer_id]).get(customer_id)


def risk_class(session: Session, customer_id: int) -> str:
    """The risk class of the customer's grade under the active limit policy (``unrated``
    without a grade)."""
    policy = configs.active_policy(session).config
    return policy.risk_class(_grade(session, customer_id))


# --- recommendation -------------------------------------------------------------------------


def _recommendation(
    customer_id: int, result: Recommendation, active: configs.ActivePolicy
) -> LimitRecommendation:
    return LimitRecommendation(
        customer_id=customer_id,
        amount=Money.from_minor_units(result.amount, result.currency),
        grade=result.grade,
        risk_class=result.risk_class,
        basis=result.basis,
        reasons=result.reasons,
        policy_name=active.config.name,
        policy_version=active.version,
    )


def recommend_limit(
    session: Session, actor: Actor, *, customer_id: int, today: date | None = None
) -> LimitRecommendation:
    """The limit the active policy recommends, with each step of the computation."""
    auth_service.ensure_permission(actor, Permission.LIMITS_READ)
    _customer(session, customer_id)
    day = _today(today)
    active = configs.active_policy(session)
    found = inputs.load_inputs(session, [customer_id], today=day)[customer_id]
    return _recommendation(customer_id, recommend(active.config, found, today=day), active)


# --- requests -------------------------------------------------------------------------------


def _open_request(session: Session, customer_id: int) -> LimitRequest | None:
    return session.scalars(
        select(LimitRequest)
        .where(LimitRequest.customer_id == customer_id)
        .where(LimitRequest.status == RequestStatus.SUBMITTED)
        .limit(1)
    ).one_or_none()


def _invalid(field_name: str, value: object, message: str) -> InvalidLimitRequest:
    return InvalidLimitRequest(message, details=[field_error(field_name, value, message)])


def _check_request(
    kind: RequestKind,
    amount: Money,
    valid_until: date | None,
    justification: str,
    current: LimitInForce | None,
    policy: LimitPolicy,
    today: date,
) -> None:
    if amount.currency != policy.currency:
        raise _invalid(
            "amount.currency", amount.currency, f"limits are granted in {policy.currency}"
        )
    if amount.amount < 0:
        raise _invalid("amount", amount.amount, "the amount cannot be negative")
    if not justification.strip():
        raise _invalid("justification", justification, "say why the limit is needed")
    if len(justification) > MAX_JUSTIFICATION:
        raise _invalid(
            "justification", len(justification), f"keep it under {MAX_JUSTIFICATION} characters"
        )
    permanent = current.permanent if current is not None else None
    if kind is RequestKind.TEMPORARY:
        if valid_until is None:
            raise _invalid("valid_until", None, "a temporary limit needs an end date")
        if valid_until < today:
            raise _invalid("valid_until", valid_until, "the end date is in the past")
    elif valid_until is not None:
        raise _invalid("valid_until", valid_until, "only temporary limits have an end date")
    if kind in (RequestKind.NEW, RequestKind.TEMPORARY) and amount.is_zero():
        raise _invalid("amount", amount.amount, "ask for more than zero")
    if kind is RequestKind.NEW and permanent is not None:
        raise _invalid("kind", kind, "the customer has a limit: ask for an increase or decrease")
    if kind in (RequestKind.INCREASE, RequestKind.DECREASE) and permanent is None:
        raise _invalid("kind", kind, "the customer has no permanent limit: ask for a new one")
    if kind is RequestKind.INCREASE and permanent is not None and amount <= permanent:
        raise _invalid("amount", amount.amount, f"an increase must exceed {permanent.amount}")
    if kind is RequestKind.DECREASE and permanent is not None and amount >= permanent:
        raise _invalid("amount", amount.amount, f"a decrease must be below {permanent.amount}")


def request_limit(
    session: Session,
    actor: Actor,
    *,
    customer_id: int,
    kind: RequestKind,
    amount: Money,
    justification: str,
    valid_until: date | None = None,
    today: date | None = None,
) -> LimitRequest:
    """Ask for a limit. ``new``, ``increase`` and ``decrease`` ask for the permanent limit to
    become ``amount``; ``temporary`` asks for ``amount`` on top until ``valid_until``.

    The tier is chosen by the limit in force after approval and the customer's grade; the
    recommendation and the policy version at submission are kept with the request. One request
    per customer may be open at a time.
    """
    auth_service.ensure_permission(actor, Permission.LIMITS_REQUEST)
    customer = _customer(session, customer_id)
    if customer.archived_at is not None:
        raise _invalid("customer_id", customer_id, "the customer is archived")
    day = _today(today)
    active = configs.ensure_active(session, actor)
    policy = active.config
    current = limit_in_force(session, customer_id, on=day)
    _check_request(kind, amount, valid_until, justification, current, policy, day)
    existing = _open_request(session, customer_id)
    if existing is not None:
        raise OpenRequestExists(
            f"request {existing.id} for this customer is still open; withdraw it or wait for "
            "its decision",
            details=[field_error("customer_id", customer_id, f"request {existing.id} is open")],
        )
    current_total = current.amount.minor_units if current is not None else 0
    temporary = current.temporary.minor_units if current is not None else 0
    if kind is RequestKind.TEMPORARY:
        after = current_total + amount.minor_units
    else:
        after = amount.minor_units + temporary
    found = inputs.load_inputs(session, [customer_id], today=day)[customer_id]
    recommendation = recommend(policy, found, today=day)
    tier = policy.tier_for(after, found.grade)
    request = LimitRequest(
        customer_id=customer_id,
        kind=kind,
        amount=amount,
        valid_until=valid_until,
        justification=justification.strip(),
        status=RequestStatus.SUBMITTED,
        requested_by=actor.username,
        requested_by_id=actor.user_id,
        expires_on=day + timedelta(days=policy.request_expiry_days),
        grade=found.grade,
        tier=tier.name,
        tier_amount_minor=after,
        approver_roles=sorted(tier.roles),
        required_approvals=tier.approvals,
        current_minor=current_total,
        recommended_minor=recommendation.amount,
        policy_version_id=active.row_id,
    )
    session.add(request)
    session.flush()
    return request


def _request(session: Session, request_id: int, *, lock: bool = False) -> LimitRequest:
    # Locked and re-read, so two approvers of one request take turns and see each other.
    request = session.get(
        LimitRequest, request_id, with_for_update=lock or None, populate_existing=lock or None
    )
    if request is None:
        raise LimitRequestNotFound(
            f"no limit request {request_id}",
            details=[field_error("request_id", request_id, "unknown request")],
        )
    return request


def _is_requester(actor: Actor, request: LimitRequest) -> bool:
    if actor.user_id is not None and request.requested_by_id is not None:
        return actor.user_id == request.requested_by_id
    return actor.username == request.requested_by


def _decisions(session: Session, request_id: int) -> list[LimitRequestDecision]:
    return list(
        session.scalars(
            select(LimitRequestDecision)
            .where(LimitRequestDecision.request_id == request_id)
            .order_by(LimitRequestDecision.id)
        )
    )


def _ensure_open(request: LimitRequest, today: date) -> None:
    if request.status is not RequestStatus.SUBMITTED:
        raise RequestNotOpen(
            f"request {request.id} is {request.status.value}",
            details=[field_error("status", request.status, "the request is decided")],
        )
    if request.expires_on < today:
        raise RequestNotOpen(
            f"request {request.id} expired on {request.expires_on.isoformat()}",
            details=[field_error("expires_on", request.expires_on, "the request expired")],
        )


def can_decide(actor: Actor, request: LimitRequest, decided_by: Collection[str]) -> bool:
    """Whether ``actor`` may approve or reject ``request`` now (``decided_by``: usernames that
    decided it already)."""
    return (
        actor.can(Permission.LIMITS_APPROVE)
        and request.status is RequestStatus.SUBMITTED
        and not _is_requester(actor, request)
        and actor.role.value in request.approver_roles
        and actor.username not in decided_by
    )


def decide_limit_request(
    session: Session,
    actor: Actor,
    *,
    request_id: int,
    decision: Decision,
    comment: str | None = None,
    expected_version: int | None = None,
    today: date | None = None,
) -> LimitRequest:
    """Approve or reject. A rejection (with a comment) ends the request; an approval that
    completes the tier's count grants the limit at once, in this transaction."""
    auth_service.ensure_permission(actor, Permission.LIMITS_APPROVE)
    day = _today(today)
    request = _request(session, request_id, lock=True)
    check_version(request, expected_version, label=f"limit request {request_id}")
    _ensure_open(request, day)
    if _is_requester(actor, request):
        raise OwnRequest(
            "you asked for this limit: another person must decide it (maker-checker)",
            details=[field_error("requested_by", request.requested_by, "the requester")],
        )
    if actor.role.value not in request.approver_roles:
        raise NotInTier(
            f"tier {request.tier} is decided by {', '.join(request.approver_roles)}, "
            f"not {actor.role.value}",
            details=[field_error("tier", request.tier, "your role is not in this tier")],
        )
    decided = _decisions(session, request_id)
    if any(row.decided_by == actor.username for row in decided):
        raise AlreadyDecided(
            f"you decided request {request_id} already; a second approval must come from "
            "another person",
            details=[field_error("decided_by", actor.username, "already decided")],
        )
    text = (comment or "").strip() or None
    if decision is Decision.REJECT and text is None:
        raise _invalid("comment", comment, "say why the request is rejected")
    session.add(
        LimitRequestDecision(
            request_id=request.id,
            customer_id=request.customer_id,
            decision=decision,
            decided_by=actor.username,
            decided_by_id=actor.user_id,
            role=actor.role.value,
            comment=text,
        )
    )
    if decision is Decision.REJECT:
        request.status = change_status(request.status, RequestStatus.REJECTED, REQUEST_TRANSITIONS)
        request.decided_at = utcnow()
    elif 1 + sum(row.decision is Decision.APPROVE for row in decided) >= (
        request.required_approvals
    ):
        request.status = change_status(request.status, RequestStatus.APPROVED, REQUEST_TRANSITIONS)
        request.decided_at = utcnow()
        _grant(session, actor, request, day)
    session.flush()
    return request


def _grant(session: Session, actor: Actor, request: LimitRequest, today: date) -> CreditLimit:
    """The approved limit, active now; a new permanent limit supersedes the previous one."""
    if request.kind is RequestKind.TEMPORARY:
        kind, valid_until = LimitKind.TEMPORARY, request.valid_until
    else:
        kind, valid_until = LimitKind.PERMANENT, None
        for previous in session.scalars(
            select(CreditLimit)
            .where(CreditLimit.customer_id == request.customer_id)
            .where(CreditLimit.kind == LimitKind.PERMANENT)
            .where(CreditLimit.status == LimitStatus.ACTIVE)
        ):
            previous.status = change_status(
                previous.status, LimitStatus.SUPERSEDED, LIMIT_TRANSITIONS
            )
            previous.ended_at = utcnow()
            previous.ended_by = actor.username
        # The superseded row must be written before the new one: one active permanent limit.
        session.flush()
    granted = CreditLimit(
        customer_id=request.customer_id,
        kind=kind,
        amount=request.amount,
        valid_from=today,
        valid_until=valid_until,
        status=LimitStatus.ACTIVE,
        request_id=request.id,
        policy_version_id=request.policy_version_id,
        granted_by=actor.username,
    )
    session.add(granted)
    session.flush()
    return granted


def withdraw_limit_request(
    session: Session,
    actor: Actor,
    *,
    request_id: int,
    comment: str | None = None,
    expected_version: int | None = None,
) -> LimitRequest:
    """The requester (or an admin) takes an open request back."""
    auth_service.ensure_permission(actor, Permission.LIMITS_REQUEST)
    request = _request(session, request_id, lock=True)
    check_version(request, expected_version, label=f"limit request {request_id}")
    if not _is_requester(actor, request) and not actor.can(Permission.USERS_MANAGE):
        raise PermissionDenied(
            "only the requester withdraws a request",
            details=[field_error("requested_by", request.requested_by, "not you")],
        )
    if request.status is not RequestStatus.SUBMITTED:
        raise RequestNotOpen(
            f"request {request.id} is {request.status.value}",
            details=[field_error("status", request.status, "the request is decided")],
        )
    request.status = change_status(request.status, RequestStatus.WITHDRAWN, REQUEST_TRANSITIONS)
    request.decided_at = utcnow()
    if comment and comment.strip():
        _add_comment(session, actor, request, comment)
    session.flush()
    return request


def _add_comment(
    session: Session, actor: Actor, request: LimitRequest, body: str
) -> LimitRequestComment:
    text = body.strip()
    if not text:
        raise _invalid("body", body, "write a comment")
    if len(text) > MAX_JUSTIFICATION:
        raise _invalid("body", len(text), f"keep it under {MAX_JUSTIFICATION} characters")
    row = LimitRequestComment(
        request_id=request.id, author=actor.username, author_id=actor.user_id, body=text
    )
    session.add(row)
    session.flush()
    return row


def comment(session: Session, actor: Actor, *, request_id: int, body: str) -> LimitRequestComment:
    """Add a comment to a request (who may ask for or decide limits may comment)."""
    if not (actor.can(Permission.LIMITS_REQUEST) or actor.can(Permission.LIMITS_APPROVE)):
        auth_service.ensure_permission(actor, Permission.LIMITS_REQUEST)
    return _add_comment(session, actor, _request(session, request_id), body)


def get_request(session: Session, actor: Actor, *, request_id: int) -> RequestDetail:
    auth_service.ensure_permission(actor, Permission.LIMITS_READ)
    request = _request(session, request_id)
    comments = session.scalars(
        select(LimitRequestComment)
        .where(LimitRequestComment.request_id == request_id)
        .order_by(LimitRequestComment.id)
    )
    return RequestDetail(request, tuple(_decisions(session, request_id)), tuple(comments))


def list_requests(
    session: Session,
    actor: Actor,
    *,
    status: RequestStatus | None = None,
    customer_id: int | None = None,
    mine: bool = False,
    awaiting_me: bool = False,
    limit: int = 200,
) -> list[LimitRequest]:
    """Requests, newest first; ``mine``: those the actor asked for; ``awaiting_me``: those the
    actor may decide now."""
    auth_service.ensure_permission(actor, Permission.LIMITS_READ)
    if awaiting_me:
        return approvals_queue(session, actor)[:limit]
    statement = select(LimitRequest).order_by(LimitRequest.id.desc()).limit(limit)
    if status is not None:
        statement = statement.where(LimitRequest.status == status)
    if customer_id is not None:
        statement = statement.where(LimitRequest.customer_id == customer_id)
    if mine:
        statement = statement.where(LimitRequest.requested_by == actor.username)
    return list(session.scalars(statement))


def approvals_queue(session: Session, actor: Actor) -> list[LimitRequest]:
    """Open requests the actor may decide now, oldest first."""
    auth_service.ensure_permission(actor, Permission.LIMITS_READ)
    if not actor.can(Permission.LIMITS_APPROVE):
        return []
    open_requests = list(
        session.scalars(
            select(LimitRequest)
            .where(LimitRequest.status == RequestStatus.SUBMITTED)
            .order_by(LimitRequest.id)
        )
    )
    if not open_requests:
        return []
    decided: dict[int, set[str]] = {}
    for request_id, username in session.execute(
        select(LimitRequestDecision.request_id, LimitRequestDecision.decided_by).where(
            LimitRequestDecision.request_id.in_([row.id for row in open_requests])
        )
    ):
        decided.setdefault(request_id, set()).add(username)
    return [row for row in open_requests if can_decide(actor, row, decided.get(row.id, set()))]


def limit_history(session: Session, actor: Actor, *, customer_id: int) -> list[CreditLimit]:
    """Every limit the customer was granted, newest first."""
    auth_service.ensure_permission(actor, Permission.LIMITS_READ)
    _customer(session, customer_id)
    return list(
        session.scalars(
            select(CreditLimit)
            .where(CreditLimit.customer_id == customer_id)
            .order_by(CreditLimit.id.desc())
        )
    )


def customer_limit(
    session: Session, actor: Actor, *, customer_id: int, today: date | None = None
) -> CustomerLimit:
    """Everything the customer page and ``GET /customers/{id}/limit`` show."""
    auth_service.ensure_permission(actor, Permission.LIMITS_READ)
    day = _today(today)
    recommendation = recommend_limit(session, actor, customer_id=customer_id, today=day)
    return CustomerLimit(
        customer_id=customer_id,
        in_force=limit_in_force(session, customer_id, on=day),
        recommendation=recommendation,
        history=tuple(limit_history(session, actor, customer_id=customer_id)),
        open_requests=tuple(
            list_requests(session, actor, customer_id=customer_id, status=RequestStatus.SUBMITTED)
        ),
        blocks=tuple(active_blocks(session, customer_id)),
    )


# --- expiry ---------------------------------------------------------------------------------


def expire_limits(session: Session, actor: Actor, *, today: date | None = None) -> Expiry:
    """Temporary limits whose ``valid_until`` has passed expire; requests not decided by their
    ``expires_on`` expire. Running it twice a day changes nothing the second time."""
    auth_service.ensure_permission(actor, Permission.LIMITS_WRITE)
    day = _today(today)
    expired_limits = list(
        session.scalars(
            select(CreditLimit)
            .where(CreditLimit.status == LimitStatus.ACTIVE)
            .where(CreditLimit.kind == LimitKind.TEMPORARY)
            .where(CreditLimit.valid_until < day)
            .order_by(CreditLimit.id)
        )
    )
    for row in expired_limits:
        row.status = change_status(row.status, LimitStatus.EXPIRED, LIMIT_TRANSITIONS)
        row.ended_at = utcnow()
        row.ended_by = actor.username
    expired_requests = list(
        session.scalars(
            select(LimitRequest)
            .where(LimitRequest.status == RequestStatus.SUBMITTED)
            .where(LimitRequest.expires_on < day)
            .order_by(LimitRequest.id)
        )
    )
    for request in expired_requests:
        request.status = change_status(request.status, RequestStatus.EXPIRED, REQUEST_TRANSITIONS)
        request.decided_at = utcnow()
    session.flush()
    return Expiry(
        today=day,
        limits_expired=tuple(row.id for row in expired_limits),
        requests_expired=tuple(row.id for row in expired_requests),
    )


# --- blocks ---------------------------------------------------------------------------------


def _view(block: CreditBlock) -> BlockView:
    return BlockView(
        block_id=block.id,
        customer_id=block.customer_id,
        kind=block.kind,
        reason=block.reason,
        source=block_source(block.source, block.rule_name),
        set_by=block.set_by,
        set_at=block.set_at,
        confirmed=block.confirmed_at is not None,
    )


def block_source(source: BlockSource, rule_name: str | None) -> str:
    """``manual`` or ``rule:<name>``: who set a block, as its views and the credit check say."""
    return f"rule:{rule_name}" if source is BlockSource.RULE else "manual"


BLOCK_FACT_COLUMNS = (
    CreditBlock.kind,
    CreditBlock.reason,
    CreditBlock.source,
    CreditBlock.rule_name,
)
"""What the credit check needs of an active block (``block_source`` makes the last two one)."""


def is_active_block_of(customer_id: int | ColumnElement[int]) -> ColumnElement[bool]:
    """Which ``credit_blocks`` rows are the customer's active blocks, for a statement that
    reads them with other facts (the credit check's)."""
    return and_(CreditBlock.customer_id == customer_id, CreditBlock.status == BlockStatus.ACTIVE)


def active_blocks(session: Session, customer_id: int) -> list[BlockView]:
    """The customer's active blocks, oldest first (one query)."""
    rows = session.scalars(
        select(CreditBlock).where(is_active_block_of(customer_id)).order_by(CreditBlock.id)
    )
    return [_view(block) for block in rows]


def list_blocks(
    session: Session,
    actor: Actor,
    *,
    customer_id: int | None = None,
    status: BlockStatus | None = BlockStatus.ACTIVE,
    limit: int = 500,
) -> list[CreditBlock]:
    auth_service.ensure_permission(actor, Permission.LIMITS_READ)
    statement = select(CreditBlock).order_by(CreditBlock.id.desc()).limit(limit)
    if customer_id is not None:
        statement = statement.where(CreditBlock.customer_id == customer_id)
    if status is not None:
        statement = statement.where(CreditBlock.status == status)
    return list(session.scalars(statement))


def get_block(session: Session, actor: Actor, *, block_id: int) -> CreditBlock:
    auth_service.ensure_permission(actor, Permission.LIMITS_READ)
    return _block(session, block_id)


def _block(session: Session, block_id: int) -> CreditBlock:
    block = session.get(CreditBlock, block_id)
    if block is None:
        raise BlockNotFound(
            f"no credit block {block_id}",
            details=[field_error("block_id", block_id, "unknown block")],
        )
    return block


def _reason(text: str | None, field_name: str) -> str:
    value = (text or "").strip()
    if not value:
        raise ValidationFailed(
            "give a reason", details=[field_error(field_name, text, "give a reason")]
        )
    if len(value) > MAX_REASON:
        raise ValidationFailed(
            f"keep the reason under {MAX_REASON} characters",
            details=[field_error(field_name, len(value), "too long")],
        )
    return value


def set_block(
    session: Session, actor: Actor, *, customer_id: int, kind: BlockKind, reason: str
) -> CreditBlock:
    """Block a customer by hand, with a reason."""
    auth_service.ensure_permission(actor, Permission.BLOCKS_WRITE)
    _customer(session, customer_id)
    block = CreditBlock(
        customer_id=customer_id,
        kind=kind,
        reason=_reason(reason, "reason"),
        source=BlockSource.MANUAL,
        status=BlockStatus.ACTIVE,
        set_by=actor.username,
    )
    session.add(block)
    session.flush()
    return block


def release_block(
    session: Session,
    actor: Actor,
    *,
    block_id: int,
    reason: str,
    expected_version: int | None = None,
    today: date | None = None,
) -> CreditBlock:
    """Lift any block, manual or set by a rule, with a reason. A released rule block is not set
    again by its rule for the policy's ``release_grace_days``."""
    auth_service.ensure_permission(actor, Permission.BLOCKS_WRITE)
    block = _block(session, block_id)
    check_version(block, expected_version, label=f"credit block {block_id}")
    if block.status is not BlockStatus.ACTIVE:
        raise BlockNotActive(
            f"block {block_id} was released already",
            details=[field_error("status", block.status, "not active")],
        )
    text = _reason(reason, "reason")
    _lift(block, actor.username, text)
    if block.source is BlockSource.RULE:
        grace = configs.active_policy(session).config.release_grace_days
        block.suppressed_until = _today(today) + timedelta(days=grace)
    session.flush()
    return block


def confirm_block(
    session: Session, actor: Actor, *, block_id: int, expected_version: int | None = None
) -> CreditBlock:
    """Keep a rule block even after its condition clears: only a user releases it then."""
    auth_service.ensure_permission(actor, Permission.BLOCKS_WRITE)
    block = _block(session, block_id)
    check_version(block, expected_version, label=f"credit block {block_id}")
    if block.status is not BlockStatus.ACTIVE:
        raise BlockNotActive(
            f"block {block_id} was released already",
            details=[field_error("status", block.status, "not active")],
        )
    if block.source is not BlockSource.RULE:
        raise ValidationFailed(
            "only rule blocks are confirmed; a manual block stays until released",
            details=[field_error("source", block.source, "manual block")],
        )
    if block.confirmed_at is None:
        block.confirmed_at = utcnow()
        block.confirmed_by = actor.username
        session.flush()
    return block


def _lift(block: CreditBlock, by: str, reason: str) -> None:
    block.status = change_status(block.status, BlockStatus.RELEASED, BLOCK_TRANSITIONS)
    block.released_at = utcnow()
    block.released_by = by
    block.release_reason = reason[:MAX_REASON]


def _customer_ids(session: Session, customer_ids: Collection[int] | None) -> list[int]:
    statement = select(Customer.id).where(Customer.archived_at.is_(None)).order_by(Customer.id)
    if customer_ids is None:
        return list(session.scalars(statement))
    wanted = sorted(set(customer_ids))
    found: list[int] = []
    for part in inputs.chunks(wanted):
        found.extend(session.scalars(statement.where(Customer.id.in_(part))))
    return found


def _limits_in_force(session: Session, customer_ids: Sequence[int], on: date) -> dict[int, int]:
    totals: dict[int, int] = {}
    for part in inputs.chunks(customer_ids):
        rows = session.execute(
            select(CreditLimit.customer_id, CreditLimit.amount_minor)
            .where(CreditLimit.customer_id.in_(part))
            .where(CreditLimit.status == LimitStatus.ACTIVE)
            .where(CreditLimit.valid_from <= on)
            .where(CreditLimit.valid_until.is_(None) | (CreditLimit.valid_until >= on))
        )
        for customer_id, amount in rows:
            totals[customer_id] = totals.get(customer_id, 0) + amount
    return totals


def _rule_blocks(
    session: Session, customer_ids: Sequence[int], today: date
) -> tuple[dict[tuple[int, str], CreditBlock], set[tuple[int, str]]]:
    """Active rule blocks by (customer, rule), and the (customer, rule) pairs a user released
    recently enough that the rule keeps off."""
    active: dict[tuple[int, str], CreditBlock] = {}
    suppressed: set[tuple[int, str]] = set()
    for part in inputs.chunks(customer_ids):
        for block in session.scalars(
            select(CreditBlock)
            .where(CreditBlock.customer_id.in_(part))
            .where(CreditBlock.source == BlockSource.RULE)
            .where(
                (CreditBlock.status == BlockStatus.ACTIVE) | (CreditBlock.suppressed_until >= today)
            )
        ):
            key = (block.customer_id, block.rule_name or "")
            if block.status is BlockStatus.ACTIVE:
                active[key] = block
            else:
                suppressed.add(key)
    return active, suppressed


def apply_block_rules(
    session: Session,
    actor: Actor,
    *,
    today: date | None = None,
    customer_ids: Collection[int] | None = None,
) -> BlockRun:
    """Evaluate the active policy's block rules for the customers (default: all not archived):
    set a rule block where a rule fires and none is active (unless a user released one within
    the grace period), and lift rule blocks whose condition cleared unless a user confirmed
    them. Exposure comes from ``exposure.service.credit_exposure_fast``; overdue rules read the
    undisputed overdue items."""
    auth_service.ensure_permission(actor, Permission.BLOCKS_WRITE)
    day = _today(today)
    policy = configs.active_policy(session).config
    ids = _customer_ids(session, customer_ids)
    graded = risk_service.grades_of(session, ids)
    limits = _limits_in_force(session, ids, day)
    active, suppressed = _rule_blocks(session, ids, day)
    rule_names = {rule.name for rule in policy.block_rules}
    set_ids: list[int] = []
    lifted: list[int] = []
    kept = 0
    by_rule: dict[str, int] = {}
    for customer_id in ids:
        exposure = exposure_service.credit_exposure_fast(session, customer_id, as_of=day)
        facts = BlockFacts(
            customer_id=customer_id,
            grade=graded.get(customer_id),
            exposure=exposure.exposure,
            limit=limits.get(customer_id),
            overdue=exposure.overdue_undisputed,
            oldest_days_past_due=exposure.oldest_days_past_due_undisputed,
        )
        firing = {found.rule.name: found for found in limit_policy.firing_rules(policy, facts)}
        for name, found in firing.items():
            key = (customer_id, name)
            if key in active:
                kept += 1
                continue
            if key in suppressed:
                continue
            finding_key = f"rule_{found.rule.condition}"
            values = _jsonable(found.values)
            block = CreditBlock(
                customer_id=customer_id,
                kind=found.rule.kind,
                reason=messages.message(finding_key, found.values, policy.currency).render("en")[
                    :MAX_REASON
                ],
                source=BlockSource.RULE,
                rule_name=name,
                findings={"key": finding_key, "values": values, "currency": policy.currency},
                status=BlockStatus.ACTIVE,
                set_by=actor.username,
            )
            session.add(block)
            session.flush()
            set_ids.append(block.id)
            by_rule[name] = by_rule.get(name, 0) + 1
        for (block_customer, name), block in active.items():
            if block_customer != customer_id or name in firing:
                continue
            if block.confirmed_at is not None:
                kept += 1
                continue
            cleared = (
                "rule removed from the policy" if name not in rule_names else ("condition cleared")
            )
            _lift(block, actor.username, cleared)
            lifted.append(block.id)
    session.flush()
    return BlockRun(
        today=day,
        customers=len(ids),
        set=tuple(set_ids),
        lifted=tuple(lifted),
        kept=kept,
        by_rule=by_rule,
    )


def _jsonable(values: Any) -> dict[str, Any]:
    return {
        key: (value if isinstance(value, int | str | float) else str(value))
        for key, value in dict(values).items()
    }


# --- bulk grant (demo) ----------------------------------------------------------------------


def grant_policy_limits(
    session: Session,
    actor: Actor,
    *,
    today: date | None = None,
    customer_ids: Collection[int] | None = None,
) -> int:
    """Give every customer (or those named) without an active permanent limit the limit the
    active policy recommends, when above zero — set-based, for demo loads: one insert, one audit
    entry, a ``credit_limit_changed`` event per limit. Returns how many limits were granted."""
    auth_service.ensure_permission(actor, Permission.LIMITS_WRITE)
    day = _today(today)
    active = configs.ensure_active(session, actor)
    ids = _customer_ids(session, customer_ids)
    held = set(
        session.scalars(
            select(CreditLimit.customer_id)
            .where(CreditLimit.kind == LimitKind.PERMANENT)
            .where(CreditLimit.status == LimitStatus.ACTIVE)
        )
    )
    wanted = [cid for cid in ids if cid not in held]
    found = inputs.load_inputs(session, wanted, today=day, every=customer_ids is None)
    now = utcnow()
    rows: list[dict[str, Any]] = []
    for cid in wanted:
        result = recommend(active.config, found[cid], today=day)
        if result.amount <= 0:
            continue
        rows.append(
            {
                "customer_id": cid,
                "kind": LimitKind.PERMANENT,
                "currency": result.currency,
                "amount_minor": result.amount,
                "valid_from": day,
                "valid_until": None,
                "status": LimitStatus.ACTIVE,
                "request_id": None,
                "policy_version_id": active.row_id,
                "granted_by": actor.username,
                "ended_at": None,
                "ended_by": None,
                "note": "granted from the limit policy",
                "created_at": now,
                "updated_at": now,
                "version": 1,
            }
        )
    if not rows:
        return 0
    connection = session.connection()
    table = Base.metadata.tables[CreditLimit.__tablename__]
    insert_rows(connection, table, rows)
    granted = session.execute(
        select(CreditLimit.id, CreditLimit.customer_id, CreditLimit.amount_minor)
        .where(CreditLimit.status == LimitStatus.ACTIVE)
        .where(CreditLimit.kind == LimitKind.PERMANENT)
        .where(CreditLimit.created_at == now)
    ).all()
    events = [
        {
            "event_id": uuid.uuid4().hex,
            "event_type": LIMIT_CHANGED,
            "customer_id": row.customer_id,
            "entity_type": CreditLimit.__tablename__,
            "entity_id": str(row.id),
            "payload": {
                "id": row.id,
                "kind": LimitKind.PERMANENT.value,
                "amount_minor": row.amount_minor,
                "currency": active.config.currency,
                "status": LimitStatus.ACTIVE.value,
                "valid_from": day.isoformat(),
            },
            "occurred_at": now,
            "recorded_at": now,
        }
        for row in granted
    ]
    recorders.record_bulk_load(
        session,
        action="grant_policy_limits",
        entity_type=CreditLimit.__tablename__,
        summary={
            "as_of": day,
            "granted": len(rows),
            "policy_version": active.version,
            "total_minor": sum(row["amount_minor"] for row in rows),
        },
        events=events,
    )
    return len(rows)
