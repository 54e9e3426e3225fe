from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from fengkong.api.deps import DbSession, requires
from fengkong.api.etags import ExpectedVersion, tag
from fengkong.api.idempotency import IdempotentRoute, writes
from fengkong.api.params import PageParams, page_fields
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.contracts import service
from fengkong.contracts.schemas import ContractCreate, ContractRead, ContractUpdate
from fengkong.contracts.status import ContractStatus
from fengkong.kit.schemas import PageOut

router = APIRouter(prefix="/contracts", tags=["contracts"], route_class=IdempotentRoute)

Reader = Annotated[Actor, requires(Permission.CONTRACTS_READ)]
Writer = Annotated[Actor, writes(Permission.CONTRACTS_WRITE)]


class ContractPage(PageOut):
    items: list[ContractRead]


@router.get("", response_model=ContractPage)
def list_contracts(
    session: DbSession,
    actor: Reader,
    page: PageParams,
    customer_id: int | None = None,
    status_: Annotated[ContractStatus | None, Query(alias="status")] = None,
    in_force_on: Annotated[
        date | None, Query(description="contracts running on this date (started, not ended)")
    ] = None,
    include_archived: bool = False,
    sort: service.ContractSort = service.ContractSort.SIGNED_ON_DESC,
) -> ContractPage:
    result = service.list_contracts(
        session,
        actor,
        criteria=service.ContractFilter(
            customer_id=customer_id,
            status=status_,
            in_force_on=in_force_on,
            include_archived=include_archived,
        ),
        sort=sort,
        page=page,
    )
    return ContractPage(
        items=[ContractRead.of(contract) for contract in result.items], **page_fields(result)
    )


@router.get("/{contract_id}", response_model=ContractRead)
def get_contract(
    contract_id: int, session: DbSession, response: Response, actor: Reader
) -> ContractRead:
    contract = service.get_contract(session, actor, contract_id=contract_id)
    tag(response, contract.version)
    return ContractRead.of(contract)


@router.post("", response_model=ContractRead, status_code=status.HTTP_201_CREATED)
def create_contract(
    data: ContractCreate, session: DbSession, response: Response, actor: Writer
) -> ContractRead:
    contract = service.create_contract(session, actor, data=data)
    tag(response, contract.version, location=f"/api/v1/contracts/{contract.id}")
    return ContractRead.of(contract)


@router.patch("/{contract_id}", response_model=ContractRead)
def update_contract(
    contract_id: int,
    data: ContractUpdate,
    session: DbSession,
    response: Response,
    expected: ExpectedVersion,
    actor: Writer,
) -> ContractRead:
    """Status moves draft → active → completed, or to terminated before completion."""
    contract = service.update_contract(
        session, actor, contract_id=contract_id, data=data, expected_version=expected
    )
    tag(response, contract.version)
    return ContractRead.of(contract)


@router.post("/{contract_id}/archive", response_model=ContractRead)
def archive_contract(
    contract_id: int,
    session: DbSession,
    response: Response,
    expected: ExpectedVersion,
    actor: Writer,
) -> ContractRead:
    contract = service.archive_contract(
        session, actor, contract_id=contract_id, expected_version=expected
    )
    tag(response, contract.version)
    return ContractRead.of(contract)


@router.post("/{contract_id}/restore", response_model=ContractRead)
def restore_contract(
    contract_id: int,
    session: DbSession,
    response: Response,
    expected: ExpectedVersion,
    actor: Writer,
) -> ContractRead:
    contract = service.restore_contract(
        session, actor, contract_id=contract_id, expected_version=expected
    )
    tag(response, contract.version)
    return ContractRead.of(contract)
