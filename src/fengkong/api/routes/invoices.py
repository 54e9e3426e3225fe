from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from fengkong.api.deps import DbSession, requires
from fengkong.api.etags import ExpectedVersion, tag
from fengkong.api.idempotency import IdempotentRoute, writes
from fengkong.api.params import (
    BusinessDate,
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
from fengkong.receivables.schemas import InvoiceCreate, InvoiceRead, InvoiceUpdate
from fengkong.receivables.status import InvoiceStatus

router = APIRouter(prefix="/invoices", tags=["invoices"], route_class=IdempotentRoute)

Reader = Annotated[Actor, requires(Permission.RECEIVABLES_READ)]
Writer = Annotated[Actor, writes(Permission.RECEIVABLES_WRITE)]


class InvoicePage(KeysetPageOut):
    items: list[InvoiceRead]


@router.get("", response_model=InvoicePage)
def list_invoices(
    session: DbSession,
    actor: Reader,
    keyset: KeysetParams,
    today: BusinessDate,
    currency: CurrencyFilter,
    customer_id: int | None = None,
    status_: Annotated[InvoiceStatus | None, Query(alias="status")] = None,
    due_from: date | None = None,
    due_to: date | None = None,
    overdue_only: Annotated[
        bool, Query(description="open, with something outstanding, past its due date today")
    ] = False,
    include_archived: bool = False,
    sort: service.InvoiceSort = service.InvoiceSort.DUE_DATE,
) -> InvoicePage:
    """Keyset-paginated: follow ``next_cursor`` (as ``after``) until it is null."""
    try:
        result = service.list_invoices(
            session,
            actor,
            criteria=service.InvoiceFilter(
                customer_id=customer_id,
                status=status_,
                currency=currency,
                due_from=due_from,
                due_to=due_to,
                overdue_on=today if overdue_only else None,
                include_archived=include_archived,
            ),
            sort=sort,
            after=keyset.after,
            page_size=keyset.page_size,
        )
    except InvalidCursor as exc:
        raise invalid_query("after", keyset.after, str(exc)) from exc
    return InvoicePage(
        items=[InvoiceRead.of(invoice) for invoice in result.items], **keyset_fields(result)
    )


@router.get("/{invoice_id}", response_model=InvoiceRead)
def get_invoice(
    invoice_id: int, session: DbSession, response: Response, actor: Reader
) -> InvoiceRead:
    invoice = service.get_invoice(session, actor, invoice_id=invoice_id)
    tag(response, invoice.version)
    return InvoiceRead.of(invoice)


@router.post("", response_model=InvoiceRead, status_code=status.HTTP_201_CREATED)
def create_invoice(
    data: InvoiceCreate, session: DbSession, response: Response, actor: Writer
) -> InvoiceRead:
    """Issue an invoice: open, with its whole amount outstanding."""
    invoice = service.create_invoice(session, actor, data=data)
    tag(response, invoice.version, location=f"/api/v1/invoices/{invoice.id}")
    return InvoiceRead.of(invoice)


@router.patch("/{invoice_id}", response_model=InvoiceRead)
def update_invoice(
    invoice_id: int,
    data: InvoiceUpdate,
    session: DbSession,
    response: Response,
    expected: ExpectedVersion,
    actor: Writer,
) -> InvoiceRead:
    invoice = service.update_invoice(
        session, actor, invoice_id=invoice_id, data=data, expected_version=expected
    )
    tag(response, invoice.version)
    return InvoiceRead.of(invoice)


@router.post("/{invoice_id}/archive", response_model=InvoiceRead)
def archive_invoice(
    invoice_id: int,
    session: DbSession,
    response: Response,
    expected: ExpectedVersion,
    actor: Writer,
) -> InvoiceRead:
    invoice = service.archive_invoice(
        session, actor, invoice_id=invoice_id, expected_version=expected
    )
    tag(response, invoice.version)
    return InvoiceRead.of(invoice)


@router.post("/{invoice_id}/restore", response_model=InvoiceRead)
def restore_invoice(
    invoice_id: int,
    session: DbSession,
    response: Response,
    expected: ExpectedVersion,
    actor: Writer,
) -> InvoiceRead:
    invoice = service.restore_invoice(
        session, actor, invoice_id=invoice_id, expected_version=expected
    )
    tag(response, invoice.version)
    return InvoiceRead.of(invoice)
