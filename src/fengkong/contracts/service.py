"""Contract use cases: framework commitments whose unbilled part counts toward exposure.
Callers own the transaction; nothing here commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.contracts.models import Contract
from fengkong.contracts.schemas import ContractCreate, ContractUpdate
from fengkong.contracts.status import CONTRACT_TRANSITIONS, ContractStatus
from fengkong.customers.service import resolve_customer
from fengkong.errors import Conflict, NotFound, ValidationFailed
from fengkong.kit.pagination import Page, PageRequest, paginate
from fengkong.records import (
    archive,
    change_status,
    check_version,
    ensure_not_archived,
    field_error,
    restore,
)


class ContractNotFound(NotFound):
    code = "contract_not_found"


class DuplicateContractNumber(Conflict):
    code = "duplicate_contract_number"


class ContractSort(StrEnum):
    SIGNED_ON = "signed_on"
    SIGNED_ON_DESC = "-signed_on"
    STARTS_ON = "starts_on"
    CONTRACT_NUMBER = "contract_number"


_SORT_COLUMNS: dict[ContractSort, ColumnElement[Any]] = {
    ContractSort.SIGNED_ON: Contract.signed_on.asc(),
    ContractSort.SIGNED_ON_DESC: Contract.signed_on.desc(),
    ContractSort.STARTS_ON: Contract.starts_on.asc(),
    ContractSort.CONTRACT_NUMBER: Contract.contract_number.asc(),
}


@dataclass(frozen=True, slots=True)
class ContractFilter:
    customer_id: int | None = None
    status: ContractStatus | None = None
    in_force_on: date | None = None
    """Contracts running on this date (started, and not yet ended)."""
    include_archived: bool = False


def _filtered(criteria: ContractFilter) -> Select[Contract]:
    statement = select(Contract)
    if criteria.customer_id is not None:
        statement = statement.where(Contract.customer_id == criteria.customer_id)
    if criteria.status is not None:
        statement = statement.where(Contract.status == criteria.status)
    if criteria.in_force_on is not None:
        day = criteria.in_force_on
        statement = statement.where(
            Contract.starts_on <= day, or_(Contract.ends_on.is_(None), Contract.ends_on >= day)
        )
    if not criteria.include_archived:
        statement = statement.where(Contract.archived_at.is_(None))
    return statement


def list_contracts(
    session: Session,
    actor: Actor,
    *,
    criteria: ContractFilter = ContractFilter(),
    sort: ContractSort = ContractSort.SIGNED_ON_DESC,
    page: PageRequest = PageRequest(),  # noqa: B008 - frozen, safe as a default
) -> Page[Contract]:
    statement = _filtered(criteria).order_by(_SORT_COLUMNS[sort], Contract.id.asc())
    return paginate(session, statement, page)


def find_contract(session: Session, *, contract_id: int) -> Contract | None:
    return session.get(Contract, contract_id)


def get_contract(session: Session, actor: Actor, *, contract_id: int) -> Contract:
    contract = find_contract(session, contract_id=contract_id)
    if contract is None:
        raise ContractNotFound(f"no contract with id {contract_id}")
    return contract


def _ensure_unique(session: Session, contract_number: str, *, own_id: int | None = None) -> None:
    statement = select(Contract.id).where(Contract.contract_number == contract_number)
    if own_id is not None:
        statement = statement.where(Contract.id != own_id)
    existing = session.scalar(statement)
    if existing is not None:
        raise DuplicateContractNumber(
            f"contract number {contract_number} is already used by contract {existing}",
            details=[
                field_error(
                    "contract_number", contract_number, f"already used by contract {existing}"
                )
            ],
        )


def _check_dates(starts_on: date, ends_on: date | None) -> None:
    if ends_on is not None and ends_on < starts_on:
        raise ValidationFailed(
            "a contract cannot end before it starts",
            details=[field_error("ends_on", ends_on, f"before starts_on {starts_on}")],
        )


def create_contract(session: Session, actor: Actor, *, data: ContractCreate) -> Contract:
    customer = resolve_customer(
        session, customer_id=data.customer_id, customer_uscc=data.customer_uscc
    )
    _check_dates(data.starts_on, data.ends_on)
    _ensure_unique(session, data.contract_number)
    contract = Contract(
        customer_id=customer.id,
        contract_number=data.contract_number,
        signed_on=data.signed_on,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        amount=data.amount.to_money(),
        payment_terms_days=data.payment_terms_days,
        status=ContractStatus.ACTIVE,
    )
    session.add(contract)
    session.flush()
    return contract


def update_contract(
    session: Session,
    actor: Actor,
    *,
    contract_id: int,
    data: ContractUpdate,
    expected_version: int | None = None,
) -> Contract:
    contract = get_contract(session, actor, contract_id=contract_id)
    label = f"contract {contract_id}"
    check_version(contract, expected_version, label=label)
    ensure_not_archived(contract, label=label)
    changes = data.model_dump(exclude_unset=True, exclude={"amount", "status"})
    _check_dates(
        changes.get("starts_on", contract.starts_on), changes.get("ends_on", contract.ends_on)
    )
    number = changes.get("contract_number", contract.contract_number)
    if number != contract.contract_number:
        _ensure_unique(session, number, own_id=contract.id)
    for field, value in changes.items():
        setattr(contract, field, value)
    if data.amount is not None:
        contract.amount = data.amount.to_money()
    if data.status is not None:
        contract.status = change_status(contract.status, data.status, CONTRACT_TRANSITIONS)
    session.flush()
    return contract


def archive_contract(
    session: Session, actor: Actor, *, contract_id: int, expected_version: int | None = None
) -> Contract:
    contract = get_contract(session, actor, contract_id=contract_id)
    check_version(contract, expected_version, label=f"contract {contract_id}")
    archive(contract)
    session.flush()
    return contract


def restore_contract(
    session: Session, actor: Actor, *, contract_id: int, expected_version: int | None = None
) -> Contract:
    contract = get_contract(session, actor, contract_id=contract_id)
    check_version(contract, expected_version, label=f"contract {contract_id}")
    restore(contract)
    session.flush()
    return contract
