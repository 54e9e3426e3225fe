"""Customer use cases. Callers own the transaction; nothing here commits."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.customers.models import Customer
from fengkong.customers.schemas import CustomerCreate, CustomerUpdate
from fengkong.customers.status import CUSTOMER_TRANSITIONS, CustomerStatus
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
from fengkong.risk.models import CustomerRating


class CustomerNotFound(NotFound):
    code = "customer_not_found"


class DuplicateUSCC(Conflict):
    code = "duplicate_uscc"


class UnknownCustomer(ValidationFailed):
    """A payload names a customer that does not exist (400: the URL itself is fine)."""

    code = "unknown_customer"


class CustomerArchived(Conflict):
    code = "customer_archived"


class CustomerSort(StrEnum):
    NAME = "name"
    NAME_DESC = "-name"
    CREATED = "created_at"
    CREATED_DESC = "-created_at"
    USCC = "uscc"
    SCORE = "score"
    SCORE_DESC = "-score"
    GRADE = "grade"
    GRADE_DESC = "-grade"


@dataclass(frozen=True, slots=True)
class CustomerFilter:
    search: str | None = None
    status: CustomerStatus | None = None
    industry_section: str | None = None
    region_code: str | None = None
    owner_id: int | None = None
    include_archived: bool = False
    grades: tuple[str, ...] = ()
    """Only customers rated with one of these grades (empty: any, including unrated)."""
    min_score: float | None = None
    max_score: float | None = None


_SORT_COLUMNS: dict[CustomerSort, ColumnElement[Any]] = {
    CustomerSort.NAME: Customer.name.asc(),
    CustomerSort.NAME_DESC: Customer.name.desc(),
    CustomerSort.CREATED: Customer.created_at.asc(),
    CustomerSort.CREATED_DESC: Customer.created_at.desc(),
    CustomerSort.USCC: Customer.uscc.asc(),
    # Unrated customers come last in either direction: they have no score to rank by.
    CustomerSort.SCORE: CustomerRating.score.asc().nulls_last(),
    CustomerSort.SCORE_DESC: CustomerRating.score.desc().nulls_last(),
    CustomerSort.GRADE: CustomerRating.grade.asc().nulls_last(),
    CustomerSort.GRADE_DESC: CustomerRating.grade.desc().nulls_last(),
}
_RATED_SORTS = frozenset(
    {CustomerSort.SCORE, CustomerSort.SCORE_DESC, CustomerSort.GRADE, CustomerSort.GRADE_DESC}
)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _filtered(criteria: CustomerFilter) -> Select[Customer]:
    statement = select(Customer)
    if criteria.search:
        pattern = f"%{_escape_like(criteria.search.strip())}%"
        statement = statement.where(
            or_(
                Customer.name.ilike(pattern, escape="\\"),
                Customer.name_en.ilike(pattern, escape="\\"),
                Customer.uscc.ilike(pattern, escape="\\"),
            )
        )
    if criteria.status is not None:
        statement = statement.where(Customer.status == criteria.status)
    if criteria.industry_section:
        section = _escape_like(criteria.industry_section.strip().upper())
        statement = statement.where(Customer.industry_code.like(f"{section}%", escape="\\"))
    if criteria.region_code:
        region = criteria.region_code.strip()
        prefix = region.rstrip("0") if region.endswith("0000") else region.removesuffix("00")
        statement = statement.where(Customer.region_code.like(f"{_escape_like(prefix)}%"))
    if not criteria.include_archived:
        statement = statement.where(Customer.archived_at.is_(None))
    if criteria.owner_id is not None:
        statement = statement.where(Customer.owner_id == criteria.owner_id)
    if criteria.grades:
        statement = statement.where(CustomerRating.grade.in_(criteria.grades))
    if criteria.min_score is not None:
        statement = statement.where(CustomerRating.score >= criteria.min_score)
    if criteria.max_score is not None:
        statement = statement.where(CustomerRating.score <= criteria.max_score)
    return statement


def _rated(criteria: CustomerFilter) -> bool:
    return bool(criteria.grades) or criteria.min_score is not None or criteria.max_score is not None


def list_customers(
    session: Session,
    actor: Actor,
    *,
    criteria: CustomerFilter = CustomerFilter(),
    sort: CustomerSort = CustomerSort.NAME,
    page: PageRequest = PageRequest(),  # noqa: B008 - frozen, safe as a default
) -> Page[Customer]:
    statement = _filtered(criteria)
    if _rated(criteria):
        statement = statement.join(CustomerRating, CustomerRating.customer_id == Customer.id)
    elif sort in _RATED_SORTS:
        statement = statement.outerjoin(CustomerRating, CustomerRating.customer_id == Customer.id)
    statement = statement.order_by(_SORT_COLUMNS[sort], Customer.id.asc())
    return paginate(session, statement, page)


def find_customer(session: Session, customer_id: int) -> Customer | None:
    return session.get(Customer, customer_id)


def find_customer_by_uscc(session: Session, uscc: str) -> Customer | None:
    return session.scalars(select(Customer).where(Customer.uscc == uscc)).one_or_none()


def get_customer(session: Session, actor: Actor, customer_id: int) -> Customer:
    customer = find_customer(session, customer_id)
    if customer is None:
        raise CustomerNotFound(f"no customer with id {customer_id}")
    return customer


def resolve_customer(
    session: Session,
    *,
    customer_id: int | None,
    customer_uscc: str | None,
    field_prefix: str = "customer",
) -> Customer:
    """The customer a new record is for, named by id or USCC; archived customers take no new
    records (restore the customer first)."""
    value: int | str
    if customer_id is not None:
        field, value = f"{field_prefix}_id", customer_id
        customer = find_customer(session, customer_id)
    elif customer_uscc is not None:
        field, value = f"{field_prefix}_uscc", customer_uscc
        customer = find_customer_by_uscc(session, customer_uscc)
    else:
        raise ValueError("resolve_customer needs customer_id or customer_uscc")
    if customer is None:
        raise UnknownCustomer(
            f"no customer with {field} {value}",
            details=[field_error(field, value, "no such customer")],
        )
    if customer.archived_at is not None:
        raise CustomerArchived(
            f"customer {customer.id} is archived; restore it before adding records to it",
            details=[field_error(field, value, "the customer is archived")],
        )
    return customer


def create_customer(session: Session, actor: Actor, data: CustomerCreate) -> Customer:
    if find_customer_by_uscc(session, data.uscc) is not None:
        raise DuplicateUSCC(
            f"a customer with USCC {data.uscc} already exists",
            details=[field_error("uscc", data.uscc, "already used by another customer")],
        )
    values = data.model_dump(exclude={"registered_capital"})
    customer = Customer(
        **values,
        registered_capital=data.registered_capital.to_money() if data.registered_capital else None,
        status=CustomerStatus.ACTIVE,
        owner_id=actor.user_id,
    )
    session.add(customer)
    session.flush()
    return customer


def update_customer(
    session: Session,
    actor: Actor,
    customer_id: int,
    data: CustomerUpdate,
    *,
    expected_version: int | None = None,
) -> Customer:
    """Apply the fields sent. ``expected_version`` (from an If-Match ETag) guards against
    overwriting a change the caller has not seen."""
    customer = get_customer(session, actor, customer_id)
    label = f"customer {customer_id}"
    check_version(customer, expected_version, label=label)
    ensure_not_archived(customer, label=label)
    changes = data.model_dump(exclude_unset=True, exclude={"registered_capital", "status"})
    for field, value in changes.items():
        setattr(customer, field, value)
    if "registered_capital" in data.model_fields_set:
        capital = data.registered_capital
        customer.registered_capital = capital.to_money() if capital else None
    if data.status is not None:
        customer.status = change_status(customer.status, data.status, CUSTOMER_TRANSITIONS)
    session.flush()
    return customer


def archive_customer(
    session: Session, actor: Actor, *, customer_id: int, expected_version: int | None = None
) -> Customer:
    """Hide the customer from lists; its records, history and audit trail stay."""
    customer = get_customer(session, actor, customer_id)
    check_version(customer, expected_version, label=f"customer {customer_id}")
    archive(customer)
    session.flush()
    return customer


def restore_customer(
    session: Session, actor: Actor, *, customer_id: int, expected_version: int | None = None
) -> Customer:
    customer = get_customer(session, actor, customer_id)
    check_version(customer, expected_version, label=f"customer {customer_id}")
    restore(customer)
    session.flush()
    return customer
