"""Collections use cases: the dunning run, notices and their letters, promises to pay and their
review, the collections worklist, and the two figures the order credit check reads (a customer's
dunning level and what it has promised to pay). Callers own the transaction; nothing here
commits (docs/collections.md).

Open invoices, payments and customers are read set-based from their tables (as the exposure and
risk areas' ledgers do); every write here is to this area's own tables.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, Select, and_, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fengkong.auth import service as auth_service
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.collections.config import LANGUAGES, DunningConfig, LetterWording, shipped
from fengkong.collections.dunning import DunningPlan, OpenInvoice, plan_dunning
from fengkong.collections.models import (
    DunningNotice,
    DunningNoticeItem,
    InvoiceDunning,
    PromiseToPay,
)
from fengkong.collections.promises import OpenPromise, held_back, judge
from fengkong.collections.schemas import PromiseCreate
from fengkong.collections.status import (
    NOTICE_TRANSITIONS,
    PROMISE_TRANSITIONS,
    NoticeStatus,
    PromiseStatus,
)
from fengkong.collections.worklist import WorklistEntry, rank
from fengkong.customers import service as customers_service
from fengkong.customers.models import Customer
from fengkong.errors import Conflict, NotFound, ValidationFailed
from fengkong.exposure import service as exposure_service
from fengkong.kit.money import Money
from fengkong.kit.time import business_today, utcnow
from fengkong.receivables import service as receivables_service
from fengkong.receivables.models import Invoice, Payment, PaymentAllocation
from fengkong.receivables.status import InvoiceStatus
from fengkong.records import change_status, check_version, field_error
from fengkong.risk import service as risk_service
from fengkong.settings import get_settings

_CHUNK = 1_000  # ids per IN (…): well under SQLite's bound-parameter cap
BROKEN_LOOKBACK_DAYS = 365


class NoticeNotFound(NotFound):
    code = "dunning_notice_not_found"


class PromiseNotFound(NotFound):
    code = "promise_not_found"


class NoticeAlreadyCancelled(Conflict):
    code = "dunning_notice_cancelled"


class DunningRunConflict(Conflict):
    code = "dunning_run_conflict"


class PromiseNotOpen(Conflict):
    code = "promise_not_open"


@dataclass(frozen=True, slots=True)
class DunningRunSummary:
    run_on: date
    config_name: str
    config_version: int
    config_sha256: str
    notice_ids: tuple[int, ...]
    invoices_dunned: int
    notices_by_level: dict[int, int]
    skipped: dict[str, int]
    legal_handover_customer_ids: tuple[int, ...]

    @property
    def notices_issued(self) -> int:
        return len(self.notice_ids)


@dataclass(frozen=True, slots=True)
class PromiseReview:
    today: date
    reviewed: int
    kept: tuple[int, ...]
    broken: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Letter:
    """Everything a dunning letter shows, in one language."""

    notice: DunningNotice
    items: tuple[DunningNoticeItem, ...]
    customer_name: str
    customer_uscc: str
    customer_address: str | None
    language: str
    wording: LetterWording
    total: Money


@dataclass(frozen=True, slots=True)
class Worklist:
    as_of: date
    total: int
    entries: tuple[WorklistEntry, ...]


def _today() -> date:
    return business_today(get_settings().zone)


def _config() -> DunningConfig:
    return shipped()


def configuration() -> DunningConfig:
    """The dunning configuration in force (levels, tolerances, wording)."""
    return _config()


def _chunks(ids: Sequence[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield list(ids[start : start + _CHUNK])


def _open_invoice_filter() -> list[ColumnElement[bool]]:
    return [
        Invoice.status == InvoiceStatus.OPEN,
        Invoice.archived_at.is_(None),
        Invoice.outstanding_minor > 0,
    ]


# --- the dunning run ------------------------------------------------------------------------


def _overdue_invoices(
    session: Session, *, today: date, config: DunningConfig, customer_ids: Collection[int] | None
) -> list[OpenInvoice]:
    """Open invoices past due beyond the grace days, with the level each has reached."""
    cutoff = today - timedelta(days=config.grace_days)
    statement = (
        select(
            Invoice.id,
            Invoice.customer_id,
            Invoice.invoice_number,
            Invoice.issue_date,
            Invoice.due_date,
            Invoice.currency,
            Invoice.outstanding_minor,
            func.coalesce(InvoiceDunning.level, 0),
        )
        .outerjoin(InvoiceDunning, InvoiceDunning.invoice_id == Invoice.id)
        .where(*_open_invoice_filter(), Invoice.due_date < cutoff)
    )
    rows: list[Any] = []
    if customer_ids is None:
        rows.extend(session.execute(statement))
    else:
        for chunk in _chunks(sorted(set(customer_ids))):
            rows.extend(session.execute(statement.where(Invoice.customer_id.in_(chunk))))
    return [
        OpenInvoice(
            invoice_id=row[0],
            customer_id=row[1],
            invoice_number=row[2],
            issue_date=row[3],
            due_date=row[4],
            currency=row[5],
            outstanding=row[6],
            current_level=row[7],
        )
        for row in rows
    ]


def _open_promises(
    session: Session, *, customer_ids: Collection[int] | None = None
) -> list[OpenPromise]:
    statement = select(PromiseToPay).where(PromiseToPay.status == PromiseStatus.OPEN)
    rows: list[PromiseToPay] = []
    if customer_ids is None:
        rows.extend(session.scalars(statement))
    else:
        for chunk in _chunks(sorted(set(customer_ids))):
            rows.extend(session.scalars(statement.where(PromiseToPay.customer_id.in_(chunk))))
    return [_open_promise(row) for row in rows]


def _open_promise(row: PromiseToPay) -> OpenPromise:
    return OpenPromise(
        promise_id=row.id,
        customer_id=row.customer_id,
        invoice_id=row.invoice_id,
        currency=row.currency,
        amount=row.amount_minor,
        promised_on=row.promised_on,
        due_on=row.due_on,
    )


def plan(
    session: Session,
    *,
    today: date,
    customer_ids: Collection[int] | None = None,
    config: DunningConfig | None = None,
) -> DunningPlan:
    """What a run on ``today`` would issue, without issuing anything."""
    config = config or _config()
    invoices = _overdue_invoices(session, today=today, config=config, customer_ids=customer_ids)
    if not invoices:
        return DunningPlan(notices=())
    customers = {invoice.customer_id for invoice in invoices}
    disputed = exposure_service.disputed_invoice_ids(session)
    promised = held_back(_open_promises(session, customer_ids=customers), invoices, today)
    issued = {
        (row[0], row[1], row[2])
        for row in session.execute(
            select(DunningNotice.customer_id, DunningNotice.level, DunningNotice.currency).where(
                DunningNotice.run_on == today
            )
        )
    }
    return plan_dunning(
        invoices, config, today, disputed=disputed, promised=promised, issued_today=issued
    )


def run_dunning(
    session: Session,
    actor: Actor,
    *,
    today: date | None = None,
    customer_ids: Collection[int] | None = None,
    language: str | None = None,
) -> DunningRunSummary:
    """Move each overdue open invoice to the highest dunning level its days past due reach and
    issue one notice per customer, currency and level (rules in ``fengkong.collections.dunning``).

    Running again the same day issues nothing new. Each notice writes its audit entry and a
    ``dunning_notice_issued`` event; the items and the invoices' levels are written in bulk.
    """
    auth_service.ensure_permission(actor, Permission.COLLECTIONS_WRITE)
    config = _config()
    day = today or _today()
    if language is not None and language not in LANGUAGES:
        raise ValidationFailed(
            f"letters are written in {' or '.join(LANGUAGES)}",
            details=[field_error("language", language, f"one of {', '.join(LANGUAGES)}")],
        )
    planned = plan(session, today=day, customer_ids=customer_ids, config=config)
    notices: list[tuple[DunningNotice, Any]] = []
    for planned_notice in planned.notices:
        level = config.level(planned_notice.level)
        notice = DunningNotice(
            customer_id=planned_notice.customer_id,
            level=level.level,
            level_name=level.name,
            legal_handover=level.legal_handover,
            run_on=day,
            total_overdue=Money.from_minor_units(planned_notice.total, planned_notice.currency),
            language=language or config.letter_language,
            status=NoticeStatus.ISSUED,
            config_name=config.name,
            config_version=config.version,
            config_sha256=config.sha256,
            issued_by=actor.username,
        )
        session.add(notice)
        notices.append((notice, planned_notice))
    try:
        session.flush()
    except IntegrityError as error:
        # Another run for the same day committed these notices first (the unique constraint on
        # customer, level, run date and currency); this one gives way rather than double-dun.
        raise DunningRunConflict(
            f"another dunning run for {day} issued these notices at the same time; run it again",
            details=[field_error("run_on", day, "a concurrent run issued notices")],
        ) from error
    item_rows: list[dict[str, Any]] = []
    levels: dict[int, tuple[int, int, int]] = {}  # invoice → (customer, level, notice)
    for notice, planned_notice in notices:
        for item in planned_notice.items:
            invoice = item.invoice
            item_rows.append(
                {
                    "notice_id": notice.id,
                    "invoice_id": invoice.invoice_id,
                    "invoice_number": invoice.invoice_number,
                    "issue_date": invoice.issue_date,
                    "due_date": invoice.due_date,
                    "days_past_due": item.days_past_due,
                    "currency": invoice.currency,
                    "outstanding_minor": invoice.outstanding,
                    "previous_level": invoice.current_level,
                }
            )
            levels[invoice.invoice_id] = (invoice.customer_id, notice.level, notice.id)
    if item_rows:
        session.execute(insert(DunningNoticeItem), item_rows)
        _set_levels(session, levels, day)
    by_level = Counter(notice.level for notice, _ in notices)
    return DunningRunSummary(
        run_on=day,
        config_name=config.name,
        config_version=config.version,
        config_sha256=config.sha256,
        notice_ids=tuple(notice.id for notice, _ in notices),
        invoices_dunned=len(item_rows),
        notices_by_level=dict(sorted(by_level.items())),
        skipped=dict(sorted(planned.skipped.items())),
        legal_handover_customer_ids=tuple(
            sorted({notice.customer_id for notice, _ in notices if notice.legal_handover})
        ),
    )


def _set_levels(session: Session, levels: dict[int, tuple[int, int, int]], day: date) -> None:
    ids = sorted(levels)
    existing: dict[int, InvoiceDunning] = {}
    for chunk in _chunks(ids):
        for found in session.scalars(
            select(InvoiceDunning).where(InvoiceDunning.invoice_id.in_(chunk))
        ):
            existing[found.invoice_id] = found
    for invoice_id in ids:
        customer_id, level, notice_id = levels[invoice_id]
        row = existing.get(invoice_id)
        if row is None:
            session.add(
                InvoiceDunning(
                    invoice_id=invoice_id,
                    customer_id=customer_id,
                    level=level,
                    last_notice_id=notice_id,
                    dunned_on=day,
                )
            )
        else:
            row.level = level
            row.last_notice_id = notice_id
            row.dunned_on = day
    session.flush()


# --- notices --------------------------------------------------------------------------------


def list_notices(
    session: Session,
    actor: Actor,
    *,
    customer_id: int | None = None,
    status: NoticeStatus | None = None,
    level: int | None = None,
    run_on: date | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[int, list[DunningNotice]]:
    """Notices, newest first, with the total matching."""
    auth_service.ensure_permission(actor, Permission.COLLECTIONS_READ)
    where: list[ColumnElement[bool]] = []
    if customer_id is not None:
        where.append(DunningNotice.customer_id == customer_id)
    if status is not None:
        where.append(DunningNotice.status == status)
    if level is not None:
        where.append(DunningNotice.level == level)
    if run_on is not None:
        where.append(DunningNotice.run_on == run_on)
    total = session.scalar(select(func.count()).select_from(DunningNotice).where(*where)) or 0
    statement = (
        select(DunningNotice)
        .where(*where)
        .order_by(DunningNotice.run_on.desc(), DunningNotice.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return total, list(session.scalars(statement))


def get_notice(session: Session, actor: Actor, *, notice_id: int) -> DunningNotice:
    auth_service.ensure_permission(actor, Permission.COLLECTIONS_READ)
    notice = session.get(DunningNotice, notice_id)
    if notice is None:
        raise NoticeNotFound(f"no dunning notice with id {notice_id}")
    return notice


def notice_items(session: Session, actor: Actor, *, notice_id: int) -> list[DunningNoticeItem]:
    get_notice(session, actor, notice_id=notice_id)
    statement = (
        select(DunningNoticeItem)
        .where(DunningNoticeItem.notice_id == notice_id)
        .order_by(DunningNoticeItem.due_date, DunningNoticeItem.invoice_id)
    )
    return list(session.scalars(statement))


def cancel_notice(
    session: Session,
    actor: Actor,
    *,
    notice_id: int,
    reason: str,
    expected_version: int | None = None,
) -> DunningNotice:
    """Withdraw a notice (sent in error, say): its invoices go back to the level they had, so a
    later run (from the next day on) may dun them again."""
    auth_service.ensure_permission(actor, Permission.COLLECTIONS_WRITE)
    notice = get_notice(session, actor, notice_id=notice_id)
    check_version(notice, expected_version, label=f"dunning notice {notice_id}")
    if notice.status is NoticeStatus.CANCELLED:
        raise NoticeAlreadyCancelled(
            f"dunning notice {notice_id} was cancelled on {notice.cancelled_at}",
            details=[field_error("status", notice.status, "already cancelled")],
        )
    notice.status = change_status(notice.status, NoticeStatus.CANCELLED, NOTICE_TRANSITIONS)
    notice.cancelled_at = utcnow()
    notice.cancelled_by = actor.username
    notice.cancel_reason = reason
    previous = {
        item.invoice_id: item.previous_level
        for item in notice_items(session, actor, notice_id=notice_id)
    }
    if previous:
        rows = session.scalars(
            select(InvoiceDunning).where(
                InvoiceDunning.invoice_id.in_(list(previous)),
                InvoiceDunning.last_notice_id == notice_id,
            )
        )
        for row in rows:
            row.level = previous[row.invoice_id]
            row.last_notice_id = None
    session.flush()
    return notice


def letter(
    session: Session, actor: Actor, *, notice_id: int, language: str | None = None
) -> Letter:
    """What the notice's letter says, in ``language`` (default: the notice's)."""
    notice = get_notice(session, actor, notice_id=notice_id)
    chosen = language or notice.language
    if chosen not in LANGUAGES:
        raise ValidationFailed(
            f"letters are written in {' or '.join(LANGUAGES)}",
            details=[field_error("lang", chosen, f"one of {', '.join(LANGUAGES)}")],
        )
    customer = customers_service.get_customer(session, actor, notice.customer_id)
    config = _config()
    try:
        wording = config.level(notice.level).letter[chosen]
    except KeyError:  # the level was removed from the configuration since
        wording = LetterWording(title=notice.level_name, opening="", closing="")
    name = customer.name_en if chosen == "en" and customer.name_en else customer.name
    return Letter(
        notice=notice,
        items=tuple(notice_items(session, actor, notice_id=notice_id)),
        customer_name=name,
        customer_uscc=customer.uscc,
        customer_address=customer.address,
        language=chosen,
        wording=wording,
        total=notice.total_overdue,
    )


# --- for the credit check -------------------------------------------------------------------


def dunning_level_of(customer_id: int | ColumnElement[int]) -> ScalarSelect[int | None]:
    """The highest dunning level of the customer's open invoices as a scalar subquery (NULL:
    none dunned), for a statement that reads it with other facts."""
    return (
        select(func.max(InvoiceDunning.level))
        .join(Invoice, Invoice.id == InvoiceDunning.invoice_id)
        .where(InvoiceDunning.customer_id == customer_id, *_open_invoice_filter())
        .scalar_subquery()
    )


def dunning_level(session: Session, customer_id: int) -> int:
    """The highest dunning level of the customer's open invoices (0: none dunned)."""
    return int(session.scalar(select(dunning_level_of(customer_id))) or 0)


def promised_of(
    customer_id: int | ColumnElement[int],
    *,
    on: date | ColumnElement[date],
    currency: str | ColumnElement[str] = "CNY",
) -> ScalarSelect[int]:
    """``promised_amount`` as a scalar subquery, for a statement that reads it with other
    facts (the arguments may be bound parameters)."""
    return (
        select(func.coalesce(func.sum(PromiseToPay.amount_minor), 0))
        .where(
            PromiseToPay.customer_id == customer_id,
            PromiseToPay.status == PromiseStatus.OPEN,
            PromiseToPay.currency == currency,
            PromiseToPay.due_on >= on,
        )
        .scalar_subquery()
    )


def promised_amount(session: Session, customer_id: int, *, on: date, currency: str = "CNY") -> int:
    """Minor units of ``currency`` the customer has promised to pay, in open promises due on or
    after ``on`` (neither kept nor broken yet)."""
    total = session.scalar(select(promised_of(customer_id, on=on, currency=currency)))
    return int(total or 0)


# --- promises to pay ------------------------------------------------------------------------


def record_promise(
    session: Session, actor: Actor, *, customer_id: int, data: PromiseCreate
) -> PromiseToPay:
    """Record the customer's promise to pay ``data.amount`` by ``data.due_on``, for one of its
    open invoices or for its overdue invoices as a whole."""
    auth_service.ensure_permission(actor, Permission.PROMISES_WRITE)
    customer = customers_service.get_customer(session, actor, customer_id)
    amount = data.amount.to_money()
    promised_on = data.promised_on or _today()
    if data.due_on < promised_on:
        raise ValidationFailed(
            "a promise cannot fall due before it is made",
            details=[field_error("due_on", data.due_on, f"on or after {promised_on}")],
        )
    if data.invoice_id is not None:
        invoice = receivables_service.find_invoice(session, invoice_id=data.invoice_id)
        if invoice is None or invoice.customer_id != customer.id:
            raise ValidationFailed(
                f"customer {customer.id} has no invoice {data.invoice_id}",
                details=[field_error("invoice_id", data.invoice_id, "not this customer's")],
            )
        if invoice.status is not InvoiceStatus.OPEN:
            raise ValidationFailed(
                f"invoice {invoice.invoice_number} is {invoice.status.value}",
                details=[field_error("invoice_id", data.invoice_id, "the invoice is not open")],
            )
        if amount.currency != invoice.currency:
            raise ValidationFailed(
                f"invoice {invoice.invoice_number} is in {invoice.currency}",
                details=[
                    field_error("amount.currency", amount.currency, f"expected {invoice.currency}")
                ],
            )
    promise = PromiseToPay(
        customer_id=customer.id,
        invoice_id=data.invoice_id,
        amount=amount,
        promised_on=promised_on,
        due_on=data.due_on,
        status=PromiseStatus.OPEN,
        recorded_by=actor.username,
        note=data.note,
    )
    session.add(promise)
    session.flush()
    return promise


def get_promise(session: Session, actor: Actor, *, promise_id: int) -> PromiseToPay:
    auth_service.ensure_permission(actor, Permission.COLLECTIONS_READ)
    promise = session.get(PromiseToPay, promise_id)
    if promise is None:
        raise PromiseNotFound(f"no promise to pay with id {promise_id}")
    return promise


def list_promises(
    session: Session,
    actor: Actor,
    *,
    customer_id: int,
    status: PromiseStatus | None = None,
) -> list[PromiseToPay]:
    """The customer's promises, latest due first."""
    auth_service.ensure_permission(actor, Permission.COLLECTIONS_READ)
    customers_service.get_customer(session, actor, customer_id)
    statement = select(PromiseToPay).where(PromiseToPay.customer_id == customer_id)
    if status is not None:
        statement = statement.where(PromiseToPay.status == status)
    return list(
        session.scalars(statement.order_by(PromiseToPay.due_on.desc(), PromiseToPay.id.desc()))
    )


def cancel_promise(
    session: Session,
    actor: Actor,
    *,
    promise_id: int,
    reason: str | None = None,
    expected_version: int | None = None,
) -> PromiseToPay:
    """Withdraw an open promise (recorded in error, or replaced by a new one)."""
    auth_service.ensure_permission(actor, Permission.PROMISES_WRITE)
    promise = get_promise(session, actor, promise_id=promise_id)
    check_version(promise, expected_version, label=f"promise {promise_id}")
    if promise.status is not PromiseStatus.OPEN:
        raise PromiseNotOpen(
            f"promise {promise_id} is {promise.status.value}; only open promises can be cancelled",
            details=[field_error("status", promise.status, "not open")],
        )
    promise.status = change_status(promise.status, PromiseStatus.CANCELLED, PROMISE_TRANSITIONS)
    promise.resolved_on = _today()
    promise.resolved_by = actor.username
    if reason:
        promise.note = f"{promise.note}\n{reason}" if promise.note else reason
    session.flush()
    return promise


def _paid_towards(
    session: Session, promises: Sequence[OpenPromise], today: date, grace_days: int
) -> dict[int, int]:
    """Minor units received towards each promise from the day it was made until its deadline
    (or today, if earlier): allocations to the invoice for an invoice's promise, the customer's
    payments in the promise's currency otherwise."""
    paid: dict[int, int] = defaultdict(int)
    for promise in promises:
        until = min(promise.deadline(grace_days), today)
        window = and_(Payment.paid_on >= promise.promised_on, Payment.paid_on <= until)
        statement: Select[Any]
        if promise.invoice_id is not None:
            statement = (
                select(func.coalesce(func.sum(PaymentAllocation.amount_minor), 0))
                .join(Payment, Payment.id == PaymentAllocation.payment_id)
                .where(PaymentAllocation.invoice_id == promise.invoice_id, window)
            )
        else:
            statement = select(func.coalesce(func.sum(Payment.amount_minor), 0)).where(
                Payment.customer_id == promise.customer_id,
                Payment.currency == promise.currency,
                Payment.archived_at.is_(None),
                window,
            )
        paid[promise.promise_id] = int(session.scalar(statement) or 0)
    return paid


def review_promises(
    session: Session,
    actor: Actor,
    *,
    today: date | None = None,
    customer_ids: Collection[int] | None = None,
) -> PromiseReview:
    """Judge open promises on ``today``: kept once the payments since they were made cover them,
    broken once their due date plus the grace days has passed without that."""
    auth_service.ensure_permission(actor, Permission.COLLECTIONS_WRITE)
    day = today or _today()
    config = _config()
    rows = {
        row.id: row
        for row in session.scalars(
            select(PromiseToPay).where(
                PromiseToPay.status == PromiseStatus.OPEN,
                PromiseToPay.promised_on <= day,
                *(
                    []
                    if customer_ids is None
                    else [PromiseToPay.customer_id.in_(sorted(set(customer_ids)))]
                ),
            )
        )
    }
    promises = [_open_promise(row) for row in rows.values()]
    paid = _paid_towards(session, promises, day, config.promise_grace_days)
    kept: list[int] = []
    broken: list[int] = []
    for promise in promises:
        verdict = judge(promise, paid[promise.promise_id], day, config.promise_grace_days)
        if verdict is PromiseStatus.OPEN:
            continue
        row = rows[promise.promise_id]
        row.status = change_status(row.status, verdict, PROMISE_TRANSITIONS)
        row.paid_minor = paid[promise.promise_id]
        row.resolved_on = day
        row.resolved_by = actor.username
        (kept if verdict is PromiseStatus.KEPT else broken).append(row.id)
    session.flush()
    return PromiseReview(
        today=day, reviewed=len(promises), kept=tuple(sorted(kept)), broken=tuple(sorted(broken))
    )


# --- the worklist ---------------------------------------------------------------------------


def worklist(
    session: Session,
    actor: Actor,
    *,
    as_of: date | None = None,
    level: int | None = None,
    owner_id: int | None = None,
    region: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> Worklist:
    """Customers with overdue open invoices, one entry per customer and currency, ranked by
    overdue × PD (``fengkong.collections.worklist``). ``level`` keeps customers whose highest
    dunning level is that one; ``region`` matches a GB/T 2260 code prefix (``31`` Shanghai)."""
    auth_service.ensure_permission(actor, Permission.COLLECTIONS_READ)
    day = as_of or _today()
    config = _config()
    filters: list[ColumnElement[bool]] = [
        *_open_invoice_filter(),
        Invoice.due_date < day,
        Customer.archived_at.is_(None),
    ]
    if owner_id is not None:
        filters.append(Customer.owner_id == owner_id)
    if region:
        filters.append(Customer.region_code.startswith(region, autoescape=True))
    # Aggregated in the database: one row per customer and currency, however many invoices.
    grouped = session.execute(
        select(
            Invoice.customer_id,
            Invoice.currency,
            func.sum(Invoice.outstanding_minor),
            func.min(Invoice.due_date),
            func.max(func.coalesce(InvoiceDunning.level, 0)),
            Customer.name,
            Customer.owner_id,
            Customer.region_code,
        )
        .join(Customer, Customer.id == Invoice.customer_id)
        .outerjoin(InvoiceDunning, InvoiceDunning.invoice_id == Invoice.id)
        .where(*filters)
        .group_by(
            Invoice.customer_id,
            Invoice.currency,
            Customer.name,
            Customer.owner_id,
            Customer.region_code,
        )
    ).all()
    tallies: dict[tuple[int, str], dict[str, Any]] = {}
    levels: dict[int, int] = defaultdict(int)
    for customer_id, currency, total, oldest_due, top_level, name, owner, reg in grouped:
        tallies[(customer_id, currency)] = {
            "name": name,
            "owner": owner,
            "region": reg,
            "overdue": int(total),
            "disputed": 0,
            "oldest": (day - oldest_due).days,
        }
        levels[customer_id] = max(levels[customer_id], int(top_level))
    # Open disputes are few: their overdue invoices are read by id and moved out of the ranking.
    disputed = sorted(exposure_service.disputed_invoice_ids(session))
    for chunk in _chunks(disputed):
        statement = (
            select(Invoice.customer_id, Invoice.currency, func.sum(Invoice.outstanding_minor))
            .join(Customer, Customer.id == Invoice.customer_id)
            .where(*filters, Invoice.id.in_(chunk))
            .group_by(Invoice.customer_id, Invoice.currency)
        )
        for customer_id, currency, amount in session.execute(statement):
            tally = tallies[(customer_id, currency)]
            tally["disputed"] += int(amount)
            tally["overdue"] -= int(amount)
    if level is not None:
        tallies = {key: value for key, value in tallies.items() if levels[key[0]] == level}
    customer_ids = sorted({customer_id for customer_id, _ in tallies})
    ratings: dict[int, Any] = {}
    for chunk in _chunks(customer_ids):
        ratings.update(risk_service.ratings_of(session, chunk))
    promised, next_due = _promise_figures(session, customer_ids, day)
    broken = _broken_counts(session, customer_ids, day)
    entries = []
    for (customer_id, currency), tally in tallies.items():
        rating = ratings.get(customer_id)
        entries.append(
            WorklistEntry(
                customer_id=customer_id,
                customer_name=tally["name"],
                owner_id=tally["owner"],
                region_code=tally["region"],
                currency=currency,
                overdue=tally["overdue"],
                disputed=tally["disputed"],
                oldest_days_past_due=tally["oldest"],
                dunning_level=levels[customer_id],
                pd=rating.pd if rating is not None else config.unrated_pd,
                grade=rating.grade if rating is not None else None,
                open_promised=promised.get((customer_id, currency), 0),
                next_promise_due=next_due.get((customer_id, currency)),
                broken_promises=broken.get(customer_id, 0),
            )
        )
    ranked = rank(entries)
    return Worklist(as_of=day, total=len(ranked), entries=tuple(ranked[offset : offset + limit]))


def _promise_figures(
    session: Session, customer_ids: Sequence[int], day: date
) -> tuple[dict[tuple[int, str], int], dict[tuple[int, str], date]]:
    promised: dict[tuple[int, str], int] = {}
    next_due: dict[tuple[int, str], date] = {}
    for chunk in _chunks(customer_ids):
        statement = (
            select(
                PromiseToPay.customer_id,
                PromiseToPay.currency,
                func.sum(PromiseToPay.amount_minor),
                func.min(PromiseToPay.due_on),
            )
            .where(
                PromiseToPay.customer_id.in_(chunk),
                PromiseToPay.status == PromiseStatus.OPEN,
                PromiseToPay.due_on >= day,
            )
            .group_by(PromiseToPay.customer_id, PromiseToPay.currency)
        )
        for customer_id, currency, amount, due in session.execute(statement):
            promised[(customer_id, currency)] = int(amount)
            next_due[(customer_id, currency)] = due
    return promised, next_due


def _broken_counts(session: Session, customer_ids: Sequence[int], day: date) -> dict[int, int]:
    since = day - timedelta(days=BROKEN_LOOKBACK_DAYS)
    counts: dict[int, int] = {}
    for chunk in _chunks(customer_ids):
        statement = (
            select(PromiseToPay.customer_id, func.count())
            .where(
                PromiseToPay.customer_id.in_(chunk),
                PromiseToPay.status == PromiseStatus.BROKEN,
                PromiseToPay.due_on >= since,
            )
            .group_by(PromiseToPay.customer_id)
        )
        counts.update(
            {customer_id: int(count) for customer_id, count in session.execute(statement)}
        )
    return counts
