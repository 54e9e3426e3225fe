"""Exposure over REST: a customer's exposure and expected loss, its related-party group, the
portfolio, mitigants, invoice disputes and exchange rates (docs/exposure.md)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from fengkong.api.deps import DbSession, requires
from fengkong.api.etags import ExpectedVersion, tag
from fengkong.api.idempotency import IdempotentRoute, writes
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.exposure import service
from fengkong.exposure.models import Mitigant
from fengkong.exposure.schemas import (
    DisputeCreate,
    DisputeList,
    DisputeRead,
    DisputeResolve,
    ExposureOut,
    FxRateIn,
    FxRateList,
    FxRateOut,
    GroupExposureOut,
    MitigantCreate,
    MitigantList,
    MitigantRead,
    MitigantUpdate,
    PortfolioOut,
)
from fengkong.kit.schemas import MoneyOut

router = APIRouter(tags=["exposure"], route_class=IdempotentRoute)

Reader = Annotated[Actor, requires(Permission.EXPOSURE_READ)]
# Portfolio figures sum the whole book: readers limited to some customers (sales) do not get a
# partial "portfolio" that looks like the bank's (the service checks exposure:read as well).
BookReader = Annotated[Actor, requires(Permission.CUSTOMERS_ALL)]
Writer = Annotated[Actor, writes(Permission.EXPOSURE_WRITE)]
AsOf = Annotated[date | None, Query(description="the date receivables are aged on; default: today")]


def _mitigant(mitigant: Mitigant) -> MitigantRead:
    return MitigantRead.of(mitigant, covered=MoneyOut.of(service.covered(mitigant)))


@router.get("/customers/{customer_id}/exposure", response_model=ExposureOut)
def get_exposure(
    customer_id: int, session: DbSession, actor: Reader, as_of: AsOf = None
) -> ExposureOut:
    """Receivables by ageing bucket, orders, commitments, mitigants, EAD, LGD, PD and EL."""
    return ExposureOut.of(
        service.get_exposure(session, actor, customer_id=customer_id, as_of=as_of)
    )


@router.get("/customers/{customer_id}/group-exposure", response_model=GroupExposureOut)
def get_group_exposure(
    customer_id: int, session: DbSession, actor: Reader, as_of: AsOf = None
) -> GroupExposureOut:
    """The customer and every customer linked to it through related parties, summed."""
    return GroupExposureOut.of(
        service.group_exposure(session, actor, customer_id=customer_id, as_of=as_of)
    )


@router.get("/portfolio/exposure", response_model=PortfolioOut)
def get_portfolio_exposure(
    session: DbSession, actor: BookReader, as_of: AsOf = None
) -> PortfolioOut:
    """Totals, breakdowns by grade, industry section and province, top-10 and HHI."""
    return PortfolioOut.of(service.portfolio_exposure(session, actor, as_of=as_of))


@router.get("/customers/{customer_id}/mitigants", response_model=MitigantList)
def list_mitigants(customer_id: int, session: DbSession, actor: Reader) -> MitigantList:
    mitigants = service.list_mitigants(session, actor, customer_id=customer_id)
    return MitigantList(items=[_mitigant(item) for item in mitigants])


@router.post(
    "/customers/{customer_id}/mitigants",
    response_model=MitigantRead,
    status_code=status.HTTP_201_CREATED,
)
def create_mitigant(
    customer_id: int, data: MitigantCreate, session: DbSession, response: Response, actor: Writer
) -> MitigantRead:
    mitigant = service.create_mitigant(session, actor, customer_id=customer_id, data=data)
    tag(
        response,
        mitigant.version,
        location=f"/api/v1/customers/{customer_id}/mitigants/{mitigant.id}",
    )
    return _mitigant(mitigant)


def _owned(session: DbSession, actor: Actor, customer_id: int, mitigant_id: int) -> Mitigant:
    mitigant = service.get_mitigant(session, actor, mitigant_id=mitigant_id)
    if mitigant.customer_id != customer_id:
        raise service.MitigantNotFound(
            f"customer {customer_id} has no mitigant with id {mitigant_id}"
        )
    return mitigant


@router.get("/customers/{customer_id}/mitigants/{mitigant_id}", response_model=MitigantRead)
def get_mitigant(
    customer_id: int, mitigant_id: int, session: DbSession, response: Response, actor: Reader
) -> MitigantRead:
    mitigant = _owned(session, actor, customer_id, mitigant_id)
    tag(response, mitigant.version)
    return _mitigant(mitigant)


@router.patch("/customers/{customer_id}/mitigants/{mitigant_id}", response_model=MitigantRead)
def update_mitigant(
    customer_id: int,
    mitigant_id: int,
    data: MitigantUpdate,
    session: DbSession,
    response: Response,
    expected: ExpectedVersion,
    actor: Writer,
) -> MitigantRead:
    _owned(session, actor, customer_id, mitigant_id)
    mitigant = service.update_mitigant(
        session, actor, mitigant_id=mitigant_id, data=data, expected_version=expected
    )
    tag(response, mitigant.version)
    return _mitigant(mitigant)


@router.post(
    "/customers/{customer_id}/mitigants/{mitigant_id}/release", response_model=MitigantRead
)
def release_mitigant(
    customer_id: int,
    mitigant_id: int,
    session: DbSession,
    response: Response,
    expected: ExpectedVersion,
    actor: Writer,
) -> MitigantRead:
    """The mitigant stops protecting (guarantee returned, collateral released)."""
    _owned(session, actor, customer_id, mitigant_id)
    mitigant = service.release_mitigant(
        session, actor, mitigant_id=mitigant_id, expected_version=expected
    )
    tag(response, mitigant.version)
    return _mitigant(mitigant)


@router.get("/invoices/{invoice_id}/disputes", response_model=DisputeList)
def list_disputes(invoice_id: int, session: DbSession, actor: Reader) -> DisputeList:
    disputes = service.disputes_of(session, actor, invoice_id=invoice_id)
    return DisputeList(items=[DisputeRead.of(item) for item in disputes])


@router.post(
    "/invoices/{invoice_id}/disputes",
    response_model=DisputeRead,
    status_code=status.HTTP_201_CREATED,
)
def open_dispute(
    invoice_id: int, data: DisputeCreate, session: DbSession, response: Response, actor: Writer
) -> DisputeRead:
    """The customer contests (part of) the invoice: it stays in exposure, leaves the overdue
    rules of the credit check, and dunning skips it until resolved."""
    dispute = service.open_dispute(session, actor, invoice_id=invoice_id, data=data)
    tag(response, dispute.version, location=f"/api/v1/disputes/{dispute.id}")
    return DisputeRead.of(dispute)


@router.get("/disputes/{dispute_id}", response_model=DisputeRead)
def get_dispute(
    dispute_id: int, session: DbSession, response: Response, actor: Reader
) -> DisputeRead:
    dispute = service.get_dispute(session, actor, dispute_id=dispute_id)
    tag(response, dispute.version)
    return DisputeRead.of(dispute)


@router.post("/disputes/{dispute_id}/resolve", response_model=DisputeRead)
def resolve_dispute(
    dispute_id: int,
    data: DisputeResolve,
    session: DbSession,
    response: Response,
    expected: ExpectedVersion,
    actor: Writer,
) -> DisputeRead:
    dispute = service.resolve_dispute(
        session, actor, dispute_id=dispute_id, data=data, expected_version=expected
    )
    tag(response, dispute.version)
    return DisputeRead.of(dispute)


@router.get("/fx-rates", response_model=FxRateList)
def list_fx_rates(session: DbSession, actor: Reader) -> FxRateList:
    return FxRateList(items=[FxRateOut.of(row) for row in service.list_fx_rates(session, actor)])


@router.post("/fx-rates", response_model=FxRateOut)
def set_fx_rate(data: FxRateIn, session: DbSession, actor: Writer) -> FxRateOut:
    """Record the rate to CNY of a currency from a date on (again for the same date corrects
    it). Exposure reads the latest rate on or before its date."""
    return FxRateOut.of(service.set_fx_rate(session, actor, data=data))
