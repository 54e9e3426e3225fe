"""Customer use cases. Callers own the transaction; nothing here commits.

The list filters by rating and open alerts in SQL, so it reads those areas' tables (ratings,
alerts) directly rather than through their services, which themselves build on this one.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    String,
    bindparam,
    exists,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Session

from fengkong.access.scope import WHOLE_BOOK, customer_scope
from fengkong.auth.actor import Actor
from fengkong.auth.models import User
from fengkong.customers.models import Customer
from fengkong.customers.schemas import CustomerCreate, CustomerUpdate
from fengkong.customers.status import CUSTOMER_TRANSITIONS, CustomerStatus
from fengkong.errors import Conflict, NotFound, ValidationFailed
from fengkong.kit.pagination import Page, PageRequest, paginate
from fengkong.monitoring.models import Alert
from fengkong.monitoring.rules import SEVERITY_ORDER, Severity
from fengkong.monitoring.status import OPEN_STATUSES
from fengkong.records import (
    archive,
    change_status,
    check_version,
    ensure_not_archived,
    field_error,
    restore,
)
from fengkong.risk import configs as risk_configs
from fengkong.risk.models import CustomerRating
from fengkong.scoring.grading import RiskLevel

MAX_EXPORT_ROWS = 100_000
"""Rows an export holds at most: a filtered view, not a dump of the database."""
_EXPORT_BATCH = 2_000


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


class AlertState(StrEnum):
    """Customers by their open early-warning alerts (new, acknowledged or in progress)."""

    NONE = "none"
    """No open alert."""
    OPEN = "open"
    """At least one open alert, of any severity."""
    HIGH = "high"
    """An open alert of high severity or worse."""
    CRITICAL = "critical"
    """An open critical alert."""


_LEAST_SEVERITY: dict[AlertState, Severity] = {
    AlertState.OPEN: Severity.LOW,
    AlertState.HIGH: Severity.HIGH,
    AlertState.CRITICAL: Severity.CRITICAL,
}


@dataclass(frozen=True, slots=True)
class CustomerFilter:
    """What the customer list, its export and the API narrow customers by (one filter, so an
    export holds exactly the rows the list shows)."""

    search: str | None = None
    status: CustomerStatus | None = None
    industry_section: str | None = None
    region_code: str | None = None
    owner_id: int | None = None
    include_archived: bool = False
    grades: tuple[str, ...] = ()
    """Only customers rated with one of these grades (empty: any, including unrated)."""
    risk_levels: tuple[RiskLevel, ...] = ()
    """Only customers rated with a grade of one of these risk levels on the active master
    scale (empty: any, including unrated)."""
    min_score: float | None = None
    max_score: float | None = None
    alerts: AlertState | None = None


@dataclass(frozen=True, slots=True)
class CustomerExportRow:
    """One customer as an export lists it: its record, owner, current rating and open alerts."""

    customer_id: int
    name: str
    name_en: str | None
    uscc: str
    industry_code: str | None
    region_code: str | None
    status: CustomerStatus
    owner: str | None
    grade: str | None
    score: float | None
    pd: float | None
    rated_as_of: date | None
    open_alerts: int
    created_at: datetime
    legal_representative: str | None = None
    """Personal data: shown through ``privacy.disclosure`` (masked without ``pii:read``)."""
    legal_representative_id_number: str | None = None


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


def _filtered(
    statement: Select[*tuple[Any, ...]],
    criteria: CustomerFilter,
    level_grades: Collection[str] | None,
) -> Select[*tuple[Any, ...]]:
    """``statement`` narrowed by ``criteria``; ``level_grades`` are the grades of the chosen risk
    levels (``None``: no risk level chosen)."""
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
    if level_grades is not None:
        statement = statement.where(CustomerRating.grade.in_(list(level_grades)))
    if criteria.alerts is not None:
        statement = statement.where(_alert_condition(criteria.alerts))
    if criteria.min_score is not None:
        statement = statement.where(CustomerRating.score >= criteria.min_score)
    if criteria.max_score is not None:
        statement = statement.where(CustomerRating.score <= criteria.max_score)
    return statement


def _alert_condition(state: AlertState) -> ColumnElement[bool]:
    """Whether the customer has (or, for ``NONE``, lacks) an open alert of the state's
    severity. The open alerts are few beside the customers: the database finds them by the
    ``(status, id)`` index and semi-joins (or anti-joins) the customers against them."""
    open_alert = select(Alert.id).where(
        Alert.customer_id == Customer.id, Alert.status.in_(list(OPEN_STATUSES))
    )
    if state is AlertState.NONE:
        return ~exists(open_alert)
    least = SEVERITY_ORDER[_LEAST_SEVERITY[state]]
    severe = [severity for severity, rank in SEVERITY_ORDER.items() if rank >= least]
    if len(severe) < len(SEVERITY_ORDER):
        open_alert = open_alert.where(Alert.severity.in_(severe))
    return exists(open_alert)


def _rated(criteria: CustomerFilter) -> bool:
    return (
        bool(criteria.grades)
        or bool(criteria.risk_levels)
        or criteria.min_score is not None
        or criteria.max_score is not None
    )


def _level_grades(session: Session, actor: Actor, criteria: CustomerFilter) -> list[str] | None:
    """The grades of the chosen risk levels on the active master scale (needs ``risk:read``)."""
    if not criteria.risk_levels:
        return None
    scale = risk_configs.active_scale(session, actor)
    return [grade.code for grade in scale.grades if grade.risk_level in criteria.risk_levels]


def _query(
    session: Session,
    actor: Actor,
    statement: Select[*tuple[Any, ...]],
    criteria: CustomerFilter,
    sort: CustomerSort,
    *,
    with_rating: bool = False,
) -> Select[*tuple[Any, ...]]:
    """``statement`` over the customers ``criteria`` keeps, in ``sort`` order: the one query
    behind the list and the export. Ratings are joined only when a filter or the sort (or
    ``with_rating``) reads them."""
    statement = _filtered(statement, criteria, _level_grades(session, actor, criteria))
    if _rated(criteria):
        statement = statement.join(CustomerRating, CustomerRating.customer_id == Customer.id)
    elif with_rating or sort in _RATED_SORTS:
        statement = statement.outerjoin(CustomerRating, CustomerRating.customer_id == Customer.id)
    return statement.order_by(_SORT_COLUMNS[sort], Customer.id.asc())


def list_customers(
    session: Session,
    actor: Actor,
    *,
    criteria: CustomerFilter = CustomerFilter(),
    sort: CustomerSort = CustomerSort.NAME,
    page: PageRequest = PageRequest(),  # noqa: B008 - frozen, safe as a default
) -> Page[Customer]:
    statement = _query(session, actor, select(Customer), criteria, sort)
    return paginate(session, statement, page)


def export_customers(
    session: Session,
    actor: Actor,
    *,
    criteria: CustomerFilter = CustomerFilter(),
    sort: CustomerSort = CustomerSort.NAME,
    limit: int = MAX_EXPORT_ROWS,
) -> Iterator[CustomerExportRow]:
    """The customers of the list with ``criteria`` and ``sort``, every page of it up to
    ``limit`` rows, streamed from the database in batches (constant memory, whatever the size)."""
    open_alerts = (
        select(Alert.customer_id, func.count(Alert.id).label("open_alerts"))
        .where(Alert.status.in_(list(OPEN_STATUSES)))
        .group_by(Alert.customer_id)
        .subquery()
    )
    columns = select(
        Customer.id,
        Customer.name,
        Customer.name_en,
        Customer.uscc,
        Customer.industry_code,
        Customer.region_code,
        Customer.status,
        User.username,
        CustomerRating.grade,
        CustomerRating.score,
        CustomerRating.pd,
        CustomerRating.as_of,
        open_alerts.c.open_alerts,
        Customer.created_at,
        Customer.legal_representative,
        Customer.legal_representative_id_number,
    )
    statement = (
        _query(session, actor, columns, criteria, sort, with_rating=True)
        .outerjoin(User, User.id == Customer.owner_id)
        .outerjoin(open_alerts, open_alerts.c.customer_id == Customer.id)
        .limit(limit)
        .execution_options(yield_per=_EXPORT_BATCH)
    )
    for (
        customer_id,
        name,
        name_en,
        uscc,
        industry_code,
        region_code,
        status,
        owner,
        grade,
        score,
        pd,
        rated_as_of,
        alerts,
        created_at,
        legal_representative,
        legal_representative_id_number,
    ) in session.execute(statement):
        yield CustomerExportRow(
            customer_id=customer_id,
            name=name,
            name_en=name_en,
            uscc=uscc,
            industry_code=industry_code,
            region_code=region_code,
            status=status,
            owner=owner,
            grade=grade,
            score=score,
            pd=pd,
            rated_as_of=rated_as_of,
            open_alerts=alerts or 0,
            created_at=created_at,
            legal_representative=legal_representative,
            legal_representative_id_number=legal_representative_id_number,
        )


def customers_by_id(session: Session, customer_ids: Collection[int]) -> dict[int, Customer]:
    """The customers with these ids, in one query (ids of no customer are left out)."""
    if not customer_ids:
        return {}
    found = session.scalars(select(Customer).where(Customer.id.in_(list(customer_ids))))
    return {customer.id: customer for customer in found}


def find_customer(session: Session, customer_id: int) -> Customer | None:
    return session.get(Customer, customer_id)


def find_customer_by_uscc(session: Session, uscc: str) -> Customer | None:
    return session.scalars(select(Customer).where(Customer.uscc == uscc)).one_or_none()


def named_customer_query(
    *, by_id: bool, scope: Actor | None = None
) -> Select[int, datetime | None]:
    """The id and archive time of the customer named by id (parameter ``customer_id``) or USCC
    (``customer_uscc``), as a statement for a hot path to run or compose (the credit check
    locks the customer in the same statement). A Core statement, so it carries the ``scope`` of
    an actor who does not see every customer (``access.scope.scoped_actor``) itself; without
    one, the same object every time."""
    statement = _named_customer_statement(by_id=by_id)
    return statement if scope is None else statement.where(customer_scope(scope))


@cache
def _named_customer_statement(*, by_id: bool) -> Select[int, datetime | None]:
    named = (
        Customer.id == bindparam("customer_id", type_=Integer)
        if by_id
        else Customer.uscc == bindparam("customer_uscc", type_=String)
    )
    return select(Customer.id, Customer.archived_at).where(named)


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


def _uscc_taken(session: Session, uscc: str) -> bool:
    """Whether any customer of the whole book has ``uscc``, including ones outside the actor's
    access scope: a USCC is unique, so a second file for it must be refused, not attempted."""
    statement = select(Customer.id).where(Customer.uscc == uscc)
    return session.scalar(statement.execution_options(**{WHOLE_BOOK: True})) is not None


def create_customer(session: Session, actor: Actor, data: CustomerCreate) -> Customer:
    if _uscc_taken(session, data.uscc):
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
