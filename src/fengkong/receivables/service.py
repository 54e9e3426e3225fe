"""Receivables use cases: invoices, payments and the allocations that settle one with the other.
Callers own the transaction; nothing here commits.

An invoice's ``outstanding`` starts at its amount and moves only through allocations; ``open`` and
``paid`` follow it (paid exactly when nothing is outstanding). Allocations lock the invoices they
touch (``SELECT … FOR UPDATE`` on PostgreSQL), so two payments racing for one invoice cannot
settle more than it is owed.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

import polars as pl
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.contracts import service as contracts_service
from fengkong.customers.service import resolve_customer
from fengkong.errors import Conflict, NotFound, ValidationFailed
from fengkong.kit.keyset import KeysetOrder, KeysetPage, keyset_page
from fengkong.kit.money import Money, currency_exponent
from fengkong.kit.time import utcnow
from fengkong.orders import service as orders_service
from fengkong.receivables.models import Invoice, Payment, PaymentAllocation
from fengkong.receivables.schemas import (
    AllocationIn,
    InvoiceCreate,
    InvoiceUpdate,
    PaymentAllocations,
    PaymentCreate,
    PaymentUpdate,
)
from fengkong.receivables.status import INVOICE_TRANSITIONS, InvoiceStatus
from fengkong.records import (
    archive,
    change_status,
    check_version,
    ensure_not_archived,
    field_error,
    restore,
)
from fengkong.scoring.features.payment import monthly_dpd
from fengkong.scoring.ledgers import ALLOCATIONS_SCHEMA, INVOICES_SCHEMA


class InvoiceNotFound(NotFound):
    code = "invoice_not_found"


class PaymentNotFound(NotFound):
    code = "payment_not_found"


class DuplicateInvoiceNumber(Conflict):
    code = "duplicate_invoice_number"


class DuplicatePaymentReference(Conflict):
    code = "duplicate_payment_reference"


class DuplicateAllocation(Conflict):
    code = "duplicate_allocation"


class UnknownReference(ValidationFailed):
    """A payload names an invoice, order or contract that does not exist."""

    code = "unknown_reference"


class ForeignCustomer(ValidationFailed):
    """A payload links records of two different customers."""

    code = "customer_mismatch"


class CurrencyMismatch(ValidationFailed):
    code = "currency_mismatch"


class Overpayment(ValidationFailed):
    code = "overpayment"


class InvoiceNotOpen(ValidationFailed):
    code = "invoice_not_open"


class AmountBelowSettled(ValidationFailed):
    """An amount cut below what payments already settle (reverse allocations first)."""

    code = "amount_below_settled"


class StatusFollowsBalance(ValidationFailed):
    code = "status_follows_balance"


class PaymentHasAllocations(ValidationFailed):
    code = "payment_has_allocations"


class InvoiceSort(StrEnum):
    DUE_DATE = "due_date"
    DUE_DATE_DESC = "-due_date"
    ISSUE_DATE = "issue_date"
    ISSUE_DATE_DESC = "-issue_date"
    INVOICE_NUMBER = "invoice_number"
    INVOICE_NUMBER_DESC = "-invoice_number"
    ID = "id"
    ID_DESC = "-id"


class PaymentSort(StrEnum):
    PAID_ON = "paid_on"
    PAID_ON_DESC = "-paid_on"
    PAYMENT_REFERENCE = "payment_reference"
    PAYMENT_REFERENCE_DESC = "-payment_reference"
    ID = "id"
    ID_DESC = "-id"


_INVOICE_ORDERS: dict[InvoiceSort, KeysetOrder] = {
    sort: KeysetOrder(
        sort.value,
        getattr(Invoice, sort.value.lstrip("-")),
        Invoice.id,
        descending=sort.value.startswith("-"),
    )
    for sort in InvoiceSort
}

_PAYMENT_ORDERS: dict[PaymentSort, KeysetOrder] = {
    sort: KeysetOrder(
        sort.value,
        getattr(Payment, sort.value.lstrip("-")),
        Payment.id,
        descending=sort.value.startswith("-"),
    )
    for sort in PaymentSort
}


@dataclass(frozen=True, slots=True)
class InvoiceFilter:
    customer_id: int | None = None
    status: InvoiceStatus | None = None
    currency: str | None = None
    due_from: date | None = None
    due_to: date | None = None
    overdue_on: date | None = None
    """Only invoices still open with something outstanding after their due date, as of this day."""
    include_archived: bool = False


@dataclass(frozen=True, slots=True)
class PaymentFilter:
    customer_id: int | None = None
    currency: str | None = None
    paid_from: date | None = None
    paid_to: date | None = None
    include_archived: bool = False


@dataclass(frozen=True, slots=True)
class AllocationLine:
    invoice_id: int
    invoice_number: str
    amount: Money


def _filtered_invoices(criteria: InvoiceFilter) -> Select[Invoice]:
    statement = select(Invoice)
    if criteria.customer_id is not None:
        statement = statement.where(Invoice.customer_id == criteria.customer_id)
    if criteria.status is not None:
        statement = statement.where(Invoice.status == criteria.status)
    if criteria.currency is not None:
        statement = statement.where(Invoice.currency == criteria.currency)
    if criteria.due_from is not None:
        statement = statement.where(Invoice.due_date >= criteria.due_from)
    if criteria.due_to is not None:
        statement = statement.where(Invoice.due_date <= criteria.due_to)
    if criteria.overdue_on is not None:
        statement = statement.where(
            Invoice.status == InvoiceStatus.OPEN,
            Invoice.outstanding_minor > 0,
            Invoice.due_date < criteria.overdue_on,
        )
    if not criteria.include_archived:
        statement = statement.where(Invoice.archived_at.is_(None))
    return statement


def list_invoices(
    session: Session,
    actor: Actor,
    *,
    criteria: InvoiceFilter = InvoiceFilter(),
    sort: InvoiceSort = InvoiceSort.DUE_DATE,
    after: str | None = None,
    page_size: int = 50,
) -> KeysetPage[Invoice]:
    """One keyset page; ``after`` is the previous page's ``next_cursor`` (``InvalidCursor`` if it
    was issued for another sort)."""
    return keyset_page(
        session,
        _filtered_invoices(criteria),
        _INVOICE_ORDERS[sort],
        after=after,
        page_size=page_size,
    )


def find_invoice(session: Session, *, invoice_id: int) -> Invoice | None:
    return session.get(Invoice, invoice_id)


def get_invoice(session: Session, actor: Actor, *, invoice_id: int) -> Invoice:
    invoice = find_invoice(session, invoice_id=invoice_id)
    if invoice is None:
        raise InvoiceNotFound(f"no invoice with id {invoice_id}")
    return invoice


def _ensure_unique_invoice_number(
    session: Session, invoice_number: str, *, own_id: int | None = None
) -> None:
    statement = select(Invoice.id).where(Invoice.invoice_number == invoice_number)
    if own_id is not None:
        statement = statement.where(Invoice.id != own_id)
    existing = session.scalar(statement)
    if existing is not None:
        raise DuplicateInvoiceNumber(
            f"invoice number {invoice_number} is already used by invoice {existing}",
            details=[
                field_error("invoice_number", invoice_number, f"already used by invoice {existing}")
            ],
        )


def _check_invoice_dates(issue_date: date, due_date: date) -> None:
    if due_date < issue_date:
        raise ValidationFailed(
            "an invoice cannot fall due before it is issued",
            details=[field_error("due_date", due_date, f"before issue_date {issue_date}")],
        )


def _check_link(field: str, record_id: int, owner_id: int | None, customer_id: int) -> None:
    noun = field.removesuffix("_id")
    if owner_id is None:
        raise UnknownReference(
            f"no {noun} with id {record_id}",
            details=[field_error(field, record_id, f"no such {noun}")],
        )
    if owner_id != customer_id:
        raise ForeignCustomer(
            f"{noun} {record_id} belongs to another customer",
            details=[field_error(field, record_id, f"belongs to customer {owner_id}")],
        )


def _check_links(
    session: Session, customer_id: int, *, order_id: int | None, contract_id: int | None
) -> None:
    """An invoice may bill an order or a contract, but only one of its own customer."""
    if order_id is not None:
        order = orders_service.find_order(session, order_id=order_id)
        _check_link("order_id", order_id, order.customer_id if order else None, customer_id)
    if contract_id is not None:
        contract = contracts_service.find_contract(session, contract_id=contract_id)
        owner = contract.customer_id if contract else None
        _check_link("contract_id", contract_id, owner, customer_id)


def create_invoice(session: Session, actor: Actor, *, data: InvoiceCreate) -> Invoice:
    customer = resolve_customer(
        session, customer_id=data.customer_id, customer_uscc=data.customer_uscc
    )
    _check_invoice_dates(data.issue_date, data.due_date)
    _check_links(session, customer.id, order_id=data.order_id, contract_id=data.contract_id)
    _ensure_unique_invoice_number(session, data.invoice_number)
    amount = data.amount.to_money()
    invoice = Invoice(
        customer_id=customer.id,
        invoice_number=data.invoice_number,
        order_id=data.order_id,
        contract_id=data.contract_id,
        issue_date=data.issue_date,
        due_date=data.due_date,
        amount=amount,
        outstanding=amount,
        status=InvoiceStatus.OPEN,
    )
    session.add(invoice)
    session.flush()
    return invoice


def _settled(invoice: Invoice) -> Money:
    return Money.from_minor_units(
        invoice.amount_minor - invoice.outstanding_minor, invoice.currency
    )


def _follow_balance(invoice: Invoice) -> None:
    """Open and paid follow the outstanding balance; written-off and cancelled invoices stay."""
    if invoice.status in (InvoiceStatus.OPEN, InvoiceStatus.PAID):
        target = InvoiceStatus.PAID if invoice.outstanding_minor == 0 else InvoiceStatus.OPEN
        invoice.status = change_status(invoice.status, target, INVOICE_TRANSITIONS)


def _change_invoice_amount(invoice: Invoice, amount: Money) -> None:
    settled = _settled(invoice)
    if not settled.is_zero() and amount.currency != invoice.currency:
        raise CurrencyMismatch(
            f"invoice {invoice.id} is partly paid in {invoice.currency}; its currency is fixed",
            details=[
                field_error("amount.currency", amount.currency, f"expected {invoice.currency}")
            ],
        )
    settled = Money.from_minor_units(settled.minor_units, amount.currency)
    if amount < settled:
        raise AmountBelowSettled(
            f"payments already settle {settled} of invoice {invoice.id}",
            details=[field_error("amount.amount", amount.amount, f"below the {settled} paid")],
        )
    invoice.amount = amount
    invoice.outstanding = amount - settled
    _follow_balance(invoice)


def _change_invoice_status(invoice: Invoice, target: InvoiceStatus) -> None:
    if target is invoice.status:
        return
    if target in (InvoiceStatus.OPEN, InvoiceStatus.PAID):
        raise StatusFollowsBalance(
            "open and paid follow the outstanding balance; record a payment instead",
            details=[field_error("status", target, "set by payments, not directly")],
        )
    if target is InvoiceStatus.CANCELLED and not _settled(invoice).is_zero():
        raise InvoiceNotOpen(
            f"invoice {invoice.id} is partly paid and cannot be cancelled; write it off instead",
            details=[field_error("status", target, "the invoice has payments allocated")],
        )
    invoice.status = change_status(invoice.status, target, INVOICE_TRANSITIONS)


def update_invoice(
    session: Session,
    actor: Actor,
    *,
    invoice_id: int,
    data: InvoiceUpdate,
    expected_version: int | None = None,
) -> Invoice:
    invoice = get_invoice(session, actor, invoice_id=invoice_id)
    label = f"invoice {invoice_id}"
    check_version(invoice, expected_version, label=label)
    ensure_not_archived(invoice, label=label)
    changes = data.model_dump(exclude_unset=True, exclude={"amount", "status"})
    _check_invoice_dates(
        changes.get("issue_date", invoice.issue_date), changes.get("due_date", invoice.due_date)
    )
    _check_links(
        session,
        invoice.customer_id,
        order_id=changes.get("order_id"),
        contract_id=changes.get("contract_id"),
    )
    number = changes.get("invoice_number", invoice.invoice_number)
    if number != invoice.invoice_number:
        _ensure_unique_invoice_number(session, number, own_id=invoice.id)
    for field, value in changes.items():
        setattr(invoice, field, value)
    if data.amount is not None:
        _change_invoice_amount(invoice, data.amount.to_money())
    if data.status is not None:
        _change_invoice_status(invoice, data.status)
    session.flush()
    return invoice


def archive_invoice(
    session: Session, actor: Actor, *, invoice_id: int, expected_version: int | None = None
) -> Invoice:
    invoice = get_invoice(session, actor, invoice_id=invoice_id)
    check_version(invoice, expected_version, label=f"invoice {invoice_id}")
    archive(invoice)
    session.flush()
    return invoice


def restore_invoice(
    session: Session, actor: Actor, *, invoice_id: int, expected_version: int | None = None
) -> Invoice:
    invoice = get_invoice(session, actor, invoice_id=invoice_id)
    check_version(invoice, expected_version, label=f"invoice {invoice_id}")
    restore(invoice)
    session.flush()
    return invoice


def _filtered_payments(criteria: PaymentFilter) -> Select[Payment]:
    statement = select(Payment)
    if criteria.customer_id is not None:
        statement = statement.where(Payment.customer_id == criteria.customer_id)
    if criteria.currency is not None:
        statement = statement.where(Payment.currency == criteria.currency)
    if criteria.paid_from is not None:
        statement = statement.where(Payment.paid_on >= criteria.paid_from)
    if criteria.paid_to is not None:
        statement = statement.where(Payment.paid_on <= criteria.paid_to)
    if not criteria.include_archived:
        statement = statement.where(Payment.archived_at.is_(None))
    return statement


def list_payments(
    session: Session,
    actor: Actor,
    *,
    criteria: PaymentFilter = PaymentFilter(),
    sort: PaymentSort = PaymentSort.PAID_ON_DESC,
    after: str | None = None,
    page_size: int = 50,
) -> KeysetPage[Payment]:
    return keyset_page(
        session,
        _filtered_payments(criteria),
        _PAYMENT_ORDERS[sort],
        after=after,
        page_size=page_size,
    )


def find_payment(session: Session, *, payment_id: int) -> Payment | None:
    return session.get(Payment, payment_id)


def get_payment(session: Session, actor: Actor, *, payment_id: int) -> Payment:
    payment = find_payment(session, payment_id=payment_id)
    if payment is None:
        raise PaymentNotFound(f"no payment with id {payment_id}")
    return payment


def allocations_of(
    session: Session, *, payment_ids: Collection[int]
) -> dict[int, list[AllocationLine]]:
    """The allocations of each payment (one query for a whole page), in the order made."""
    lines: dict[int, list[AllocationLine]] = {payment_id: [] for payment_id in payment_ids}
    if not payment_ids:
        return lines
    rows = session.execute(
        select(
            PaymentAllocation.payment_id,
            PaymentAllocation.invoice_id,
            PaymentAllocation.amount_minor,
            Invoice.invoice_number,
            Invoice.currency,
        )
        .join(Invoice, Invoice.id == PaymentAllocation.invoice_id)
        .where(PaymentAllocation.payment_id.in_(payment_ids))
        .order_by(PaymentAllocation.id)
    )
    for payment_id, invoice_id, amount_minor, invoice_number, currency in rows:
        amount = Money.from_minor_units(amount_minor, currency)
        lines[payment_id].append(AllocationLine(invoice_id, invoice_number, amount))
    return lines


def unapplied(payment: Payment, lines: Sequence[AllocationLine]) -> Money:
    """The part of ``payment`` not yet allocated to any invoice."""
    allocated = sum(line.amount.minor_units for line in lines)
    return Money.from_minor_units(payment.amount_minor - allocated, payment.currency)


def _ensure_unique_reference(
    session: Session, payment_reference: str, *, own_id: int | None = None
) -> None:
    statement = select(Payment.id).where(Payment.payment_reference == payment_reference)
    if own_id is not None:
        statement = statement.where(Payment.id != own_id)
    existing = session.scalar(statement)
    if existing is not None:
        raise DuplicatePaymentReference(
            f"payment reference {payment_reference} is already used by payment {existing}",
            details=[
                field_error(
                    "payment_reference", payment_reference, f"already used by payment {existing}"
                )
            ],
        )


def _allocated_minor(session: Session, payment_id: int) -> int:
    total = session.scalar(
        select(func.coalesce(func.sum(PaymentAllocation.amount_minor), 0)).where(
            PaymentAllocation.payment_id == payment_id
        )
    )
    return int(total or 0)


def _locked_invoices(session: Session, requests: Sequence[AllocationIn]) -> list[Invoice]:
    """The invoices ``requests`` name, locked in id order (so racing payments cannot deadlock)
    and re-read, so the outstanding amounts checked are the committed ones."""
    ids = [request.invoice_id for request in requests if request.invoice_id is not None]
    numbers = [request.invoice_number for request in requests if request.invoice_number]
    statement = (
        select(Invoice)
        .where(or_(Invoice.id.in_(ids), Invoice.invoice_number.in_(numbers)))
        .order_by(Invoice.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list(session.scalars(statement))


def _planned_allocations(
    session: Session,
    payment: Payment,
    requests: Sequence[AllocationIn],
    *,
    already_allocated: Collection[int],
    allocated_minor: int,
) -> list[tuple[Invoice, Money]]:
    """Check every requested allocation before any is applied; the error names the first bad
    one (``allocations.<n>.<field>``)."""
    if not requests:
        return []
    invoices = _locked_invoices(session, requests)
    by_id = {invoice.id: invoice for invoice in invoices}
    by_number = {invoice.invoice_number: invoice for invoice in invoices}
    seen = set(already_allocated)
    plan: list[tuple[Invoice, Money]] = []
    for index, request in enumerate(requests):
        prefix = f"allocations.{index}"
        value: int | str | None
        if request.invoice_id is not None:
            name, value = f"{prefix}.invoice_id", request.invoice_id
            invoice = by_id.get(request.invoice_id)
        else:
            name, value = f"{prefix}.invoice_number", request.invoice_number
            invoice = by_number.get(request.invoice_number or "")
        if invoice is None:
            raise UnknownReference(
                f"no invoice {value}", details=[field_error(name, value, "no such invoice")]
            )
        if invoice.id in seen:
            raise DuplicateAllocation(
                f"payment already settles part of invoice {invoice.invoice_number}",
                details=[field_error(name, value, "allocated once already")],
            )
        seen.add(invoice.id)
        if invoice.customer_id != payment.customer_id:
            raise ForeignCustomer(
                f"invoice {invoice.invoice_number} belongs to another customer than the payment",
                details=[field_error(name, value, f"belongs to customer {invoice.customer_id}")],
            )
        amount = request.amount.to_money()
        if payment.currency != amount.currency or payment.currency != invoice.currency:
            raise CurrencyMismatch(
                f"a {payment.currency} payment can only settle {payment.currency} invoices "
                f"in {payment.currency}",
                details=[
                    field_error(
                        f"{prefix}.amount.currency",
                        amount.currency,
                        f"payment in {payment.currency}, invoice in {invoice.currency}",
                    )
                ],
            )
        if invoice.archived_at is not None or invoice.status not in (
            InvoiceStatus.OPEN,
            InvoiceStatus.PAID,
        ):
            state = "archived" if invoice.archived_at is not None else invoice.status.value
            raise InvoiceNotOpen(
                f"invoice {invoice.invoice_number} is {state} and takes no payments",
                details=[field_error(name, value, f"the invoice is {state}")],
            )
        if amount > invoice.outstanding:
            raise Overpayment(
                f"{amount} is more than the {invoice.outstanding} outstanding on invoice "
                f"{invoice.invoice_number}",
                details=[
                    field_error(
                        f"{prefix}.amount.amount",
                        amount.amount,
                        f"at most {invoice.outstanding.amount} is outstanding",
                    )
                ],
            )
        plan.append((invoice, amount))
    total = allocated_minor + sum(amount.minor_units for _, amount in plan)
    if total > payment.amount_minor:
        allocated = Money.from_minor_units(total, payment.currency)
        raise Overpayment(
            f"allocations of {allocated} exceed the payment's {payment.amount}",
            details=[field_error("allocations", allocated.amount, "more than the payment")],
        )
    return plan


def _apply(session: Session, payment: Payment, plan: Sequence[tuple[Invoice, Money]]) -> None:
    for invoice, amount in plan:
        invoice.outstanding = invoice.outstanding - amount
        _follow_balance(invoice)
        session.add(
            PaymentAllocation(
                payment_id=payment.id, invoice_id=invoice.id, amount_minor=amount.minor_units
            )
        )


def record_payment(session: Session, actor: Actor, *, data: PaymentCreate) -> Payment:
    """Record a payment received and settle the invoices it is allocated to."""
    customer = resolve_customer(
        session, customer_id=data.customer_id, customer_uscc=data.customer_uscc
    )
    _ensure_unique_reference(session, data.payment_reference)
    payment = Payment(
        customer_id=customer.id,
        payment_reference=data.payment_reference,
        paid_on=data.paid_on,
        amount=data.amount.to_money(),
        method=data.method,
    )
    plan = _planned_allocations(
        session, payment, data.allocations, already_allocated=(), allocated_minor=0
    )
    session.add(payment)
    session.flush()
    _apply(session, payment, plan)
    session.flush()
    return payment


def allocate_payment(
    session: Session,
    actor: Actor,
    *,
    payment_id: int,
    data: PaymentAllocations,
    expected_version: int | None = None,
) -> Payment:
    """Apply (part of) a payment's unapplied cash to invoices."""
    payment = get_payment(session, actor, payment_id=payment_id)
    label = f"payment {payment_id}"
    check_version(payment, expected_version, label=label)
    ensure_not_archived(payment, label=label)
    existing = allocations_of(session, payment_ids=[payment.id])[payment.id]
    plan = _planned_allocations(
        session,
        payment,
        data.allocations,
        already_allocated=[line.invoice_id for line in existing],
        allocated_minor=sum(line.amount.minor_units for line in existing),
    )
    _apply(session, payment, plan)
    # The payment reads differently now (its allocations), so its version and ETag move on.
    payment.updated_at = utcnow()
    session.flush()
    return payment


def update_payment(
    session: Session,
    actor: Actor,
    *,
    payment_id: int,
    data: PaymentUpdate,
    expected_version: int | None = None,
) -> Payment:
    payment = get_payment(session, actor, payment_id=payment_id)
    label = f"payment {payment_id}"
    check_version(payment, expected_version, label=label)
    ensure_not_archived(payment, label=label)
    changes = data.model_dump(exclude_unset=True, exclude={"amount"})
    reference = changes.get("payment_reference", payment.payment_reference)
    if reference != payment.payment_reference:
        _ensure_unique_reference(session, reference, own_id=payment.id)
    if data.amount is not None:
        amount = data.amount.to_money()
        allocated_minor = _allocated_minor(session, payment.id)
        if allocated_minor and amount.currency != payment.currency:
            raise CurrencyMismatch(
                f"payment {payment_id} is allocated in {payment.currency}; its currency is fixed",
                details=[
                    field_error("amount.currency", amount.currency, f"expected {payment.currency}")
                ],
            )
        if amount.minor_units < allocated_minor:
            allocated = Money.from_minor_units(allocated_minor, payment.currency)
            raise AmountBelowSettled(
                f"{allocated} of payment {payment_id} is already allocated to invoices",
                details=[field_error("amount.amount", amount.amount, f"below the {allocated}")],
            )
        payment.amount = amount
    for field, value in changes.items():
        setattr(payment, field, value)
    session.flush()
    return payment


def archive_payment(
    session: Session, actor: Actor, *, payment_id: int, expected_version: int | None = None
) -> Payment:
    """Archive a payment that settles nothing; an allocated one would leave invoices settled by
    a payment no list shows."""
    payment = get_payment(session, actor, payment_id=payment_id)
    check_version(payment, expected_version, label=f"payment {payment_id}")
    if payment.archived_at is None and _allocated_minor(session, payment.id):
        raise PaymentHasAllocations(
            f"payment {payment_id} settles invoices and cannot be archived",
            details=[field_error("allocations", payment_id, "the payment is allocated")],
        )
    archive(payment)
    session.flush()
    return payment


def restore_payment(
    session: Session, actor: Actor, *, payment_id: int, expected_version: int | None = None
) -> Payment:
    payment = get_payment(session, actor, payment_id=payment_id)
    check_version(payment, expected_version, label=f"payment {payment_id}")
    restore(payment)
    session.flush()
    return payment


PAYMENT_HISTORY_MONTHS = 24


@dataclass(frozen=True, slots=True)
class MonthOfPayments:
    """How the customer paid in the month ending ``month_end`` (the last one: up to the as-of
    day): days past due weighted by amount and the worst, over the payments made in the month
    and what was still open and past due at its end. ``None``: nothing to observe that month."""

    month_end: date
    weighted_dpd: float | None
    max_dpd: int | None


def _month_ends(as_of: date, months: int) -> list[date]:
    """The ends of the ``months - 1`` calendar months before ``as_of``'s, then ``as_of``."""
    ends = [as_of]
    for _ in range(months - 1):
        ends.append(ends[-1].replace(day=1) - timedelta(days=1))
    return sorted(ends)


def payment_history(
    session: Session,
    actor: Actor,
    *,
    customer_id: int,
    as_of: date,
    months: int = PAYMENT_HISTORY_MONTHS,
) -> list[MonthOfPayments]:
    """The customer's days past due month by month up to ``as_of``, by the rule the payment
    features score with (``scoring.features.payment``). Only invoices that can touch the months
    shown are read: issued in them, still open, or paid in them."""
    ends = _month_ends(as_of, months)
    start = ends[0].replace(day=1) - timedelta(days=1)
    paid_in_window = (
        select(PaymentAllocation.invoice_id)
        .join(Payment, Payment.id == PaymentAllocation.payment_id)
        .where(Payment.customer_id == customer_id, Payment.paid_on > start)
    )
    invoices = session.execute(
        select(
            Invoice.id, Invoice.issue_date, Invoice.due_date, Invoice.amount_minor, Invoice.currency
        ).where(
            Invoice.customer_id == customer_id,
            Invoice.archived_at.is_(None),
            Invoice.status != InvoiceStatus.CANCELLED,
            Invoice.issue_date <= as_of,
            or_(
                Invoice.issue_date > start,
                Invoice.outstanding_minor > 0,
                Invoice.id.in_(paid_in_window),
            ),
        )
    ).all()
    if not invoices:
        return [MonthOfPayments(end, None, None) for end in ends]
    allocations = session.execute(
        select(
            PaymentAllocation.invoice_id,
            Payment.paid_on,
            PaymentAllocation.amount_minor,
            Payment.currency,
        )
        .join(Payment, Payment.id == PaymentAllocation.payment_id)
        .where(
            PaymentAllocation.invoice_id.in_([row.id for row in invoices]),
            Payment.archived_at.is_(None),
            Payment.paid_on <= as_of,
        )
    ).all()
    units: dict[str, float] = {}

    def major(minor: int, currency: str) -> float:
        if currency not in units:
            units[currency] = 10.0 ** currency_exponent(currency)
        return minor / units[currency]

    invoice_frame = pl.DataFrame(
        [
            (
                row.id,
                customer_id,
                row.issue_date,
                row.due_date,
                major(row.amount_minor, row.currency),
            )
            for row in invoices
        ],
        schema=INVOICES_SCHEMA,
        orient="row",
    )
    allocation_frame = pl.DataFrame(
        [
            (invoice_id, customer_id, paid_on, major(minor, currency))
            for invoice_id, paid_on, minor, currency in allocations
        ],
        schema=ALLOCATIONS_SCHEMA,
        orient="row",
    )
    monthly = monthly_dpd(invoice_frame, allocation_frame, ends)
    return [
        MonthOfPayments(row["month_end"], row["weighted_dpd"], row["max_dpd"])
        for row in monthly.iter_rows(named=True)
    ]
