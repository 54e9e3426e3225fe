from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Response, status
from sqlalchemy.orm import Session

from fengkong.api.deps import DbSession, requires
from fengkong.api.etags import ExpectedVersion, tag
from fengkong.api.idempotency import IdempotentRoute, writes
from fengkong.api.params import (
    CurrencyFilter,
    KeysetPageOut,
    KeysetParams,
    invalid_query,
    keyset_fields,
)
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.kit.keyset import InvalidCursor
from fengkong.receivables import service
from fengkong.receivables.models import Payment
from fengkong.receivables.schemas import (
    PaymentAllocations,
    PaymentCreate,
    PaymentRead,
    PaymentUpdate,
)

router = APIRouter(prefix="/payments", tags=["payments"], route_class=IdempotentRoute)

Reader = Annotated[Actor, requires(Permission.RECEIVABLES_READ)]
Writer = Annotated[Actor, writes(Permission.RECEIVABLES_WRITE)]


class PaymentPage(KeysetPageOut):
    items: list[PaymentRead]


def _read(payment: Payment, lines: list[service.AllocationLine]) -> PaymentRead:
    return PaymentRead.of(payment, allocations=lines, unapplied=service.unapplied(payment, lines))


def _read_one(session: Session, payment: Payment) -> PaymentRead:
    lines = service.allocations_of(session, payment_ids=[payment.id])[payment.id]
    return _read(payment, lines)


@router.get("", response_model=PaymentPage)
def list_payments(
    session: DbSession,
    actor: Reader,
    keyset: KeysetParams,
    currency: CurrencyFilter,
    customer_id: int | None = None,
    paid_from: date | None = None,
    paid_to: date | None = None,
    include_archived: bool = False,
    sort: service.PaymentSort = service.PaymentSort.PAID_ON_DESC,
) -> PaymentPage:
    """Keyset-paginated: follow ``next_cursor`` (as ``after``) until it is null."""
    try:
        result = service.list_payments(
            session,
            actor,
            criteria=service.PaymentFilter(
                customer_id=customer_id,
                currency=currency,
                paid_from=paid_from,
                paid_to=paid_to,
                include_archived=include_archived,
            ),
            sort=sort,
            after=keyset.after,
            page_size=keyset.page_size,
        )
    except InvalidCursor as exc:
        raise invalid_query("after", keyset.after, str(exc)) from exc
    lines = service.allocations_of(session, payment_ids=[payment.id for payment in result.items])
    return PaymentPage(
        items=[_read(payment, lines[payment.id]) for payment in result.items],
        **keyset_fields(result),
    )


@router.get("/{payment_id}", response_model=PaymentRead)
def get_payment(
    payment_id: int, session: DbSession, response: Response, actor: Reader
) -> PaymentRead:
    payment = service.get_payment(session, actor, payment_id=payment_id)
    tag(response, payment.version)
    return _read_one(session, payment)


@router.post("", response_model=PaymentRead, status_code=status.HTTP_201_CREATED)
def record_payment(
    data: PaymentCreate, session: DbSession, response: Response, actor: Writer
) -> PaymentRead:
    """Record a payment and settle the invoices it is allocated to (all or nothing)."""
    payment = service.record_payment(session, actor, data=data)
    tag(response, payment.version, location=f"/api/v1/payments/{payment.id}")
    return _read_one(session, payment)


@router.post("/{payment_id}/allocations", response_model=PaymentRead)
def allocate_payment(
    payment_id: int,
    data: PaymentAllocations,
    session: DbSession,
    response: Response,
    expected: ExpectedVersion,
    actor: Writer,
) -> PaymentRead:
    """Apply unapplied cash of the payment to further invoices."""
    payment = service.allocate_payment(
        session, actor, payment_id=payment_id, data=data, expected_version=expected
    )
    tag(response, payment.version)
    return _read_one(session, payment)


@router.patch("/{payment_id}", response_model=PaymentRead)
def update_payment(
    payment_id: int,
    data: PaymentUpdate,
    session: DbSession,
    response: Response,
    expected: ExpectedVersion,
    actor: Writer,
) -> PaymentRead:
    payment = service.update_payment(
        session, actor, payment_id=payment_id, data=data, expected_version=expected
    )
    tag(response, payment.version)
    return _read_one(session, payment)


@router.post("/{payment_id}/archive", response_model=PaymentRead)
def archive_payment(
    payment_id: int,
    session: DbSession,
    response: Response,
    expected: ExpectedVersion,
    actor: Writer,
) -> PaymentRead:
    """Only a payment allocated to no invoice can be archived."""
    payment = service.archive_payment(
        session, actor, payment_id=payment_id, expected_version=expected
    )
    tag(response, payment.version)
    return _read_one(session, payment)


@router.post("/{payment_id}/restore", response_model=PaymentRead)
def restore_payment(
    payment_id: int,
    session: DbSession,
    response: Response,
    expected: ExpectedVersion,
    actor: Writer,
) -> PaymentRead:
    payment = service.restore_payment(
        session, actor, payment_id=payment_id, expected_version=expected
    )
    tag(response, payment.version)
    return _read_one(session, payment)
