"""Links between customers (parent, subsidiary, guarantor, same legal representative): the group
view an analyst needs, since a customer's risk is often its group's. Callers own the transaction."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.customers.models import RelatedParty
from fengkong.customers.schemas import RelatedPartyCreate, RelatedPartyUpdate
from fengkong.customers.service import resolve_customer
from fengkong.customers.status import RelationType
from fengkong.errors import Conflict, NotFound, ValidationFailed
from fengkong.kit.pagination import Page, PageRequest, paginate
from fengkong.records import archive, check_version, ensure_not_archived, field_error, restore


class RelatedPartyNotFound(NotFound):
    code = "related_party_not_found"


class DuplicateRelatedParty(Conflict):
    code = "duplicate_related_party"


class RelatedPartySort(StrEnum):
    CREATED = "created_at"
    CREATED_DESC = "-created_at"
    RELATION_TYPE = "relation_type"


_SORT_COLUMNS: dict[RelatedPartySort, ColumnElement[Any]] = {
    RelatedPartySort.CREATED: RelatedParty.created_at.asc(),
    RelatedPartySort.CREATED_DESC: RelatedParty.created_at.desc(),
    RelatedPartySort.RELATION_TYPE: RelatedParty.relation_type.asc(),
}


@dataclass(frozen=True, slots=True)
class RelatedPartyFilter:
    customer_id: int | None = None
    related_customer_id: int | None = None
    involving_customer_id: int | None = None
    """Links with this customer on either side: its parents as well as its subsidiaries."""
    relation_type: RelationType | None = None
    verified: bool | None = None
    include_archived: bool = False


def _filtered(criteria: RelatedPartyFilter) -> Select[RelatedParty]:
    statement = select(RelatedParty)
    if criteria.customer_id is not None:
        statement = statement.where(RelatedParty.customer_id == criteria.customer_id)
    if criteria.related_customer_id is not None:
        statement = statement.where(
            RelatedParty.related_customer_id == criteria.related_customer_id
        )
    if criteria.involving_customer_id is not None:
        statement = statement.where(
            or_(
                RelatedParty.customer_id == criteria.involving_customer_id,
                RelatedParty.related_customer_id == criteria.involving_customer_id,
            )
        )
    if criteria.relation_type is not None:
        statement = statement.where(RelatedParty.relation_type == criteria.relation_type)
    if criteria.verified is not None:
        statement = statement.where(RelatedParty.verified.is_(criteria.verified))
    if not criteria.include_archived:
        statement = statement.where(RelatedParty.archived_at.is_(None))
    return statement


def list_related_parties(
    session: Session,
    actor: Actor,
    *,
    criteria: RelatedPartyFilter = RelatedPartyFilter(),
    sort: RelatedPartySort = RelatedPartySort.CREATED,
    page: PageRequest = PageRequest(),  # noqa: B008 - frozen, safe as a default
) -> Page[RelatedParty]:
    statement = _filtered(criteria).order_by(_SORT_COLUMNS[sort], RelatedParty.id.asc())
    return paginate(session, statement, page)


def find_related_party(session: Session, *, related_party_id: int) -> RelatedParty | None:
    return session.get(RelatedParty, related_party_id)


def get_related_party(session: Session, actor: Actor, *, related_party_id: int) -> RelatedParty:
    link = find_related_party(session, related_party_id=related_party_id)
    if link is None:
        raise RelatedPartyNotFound(f"no related party with id {related_party_id}")
    return link


def _ensure_unique(
    session: Session,
    *,
    customer_id: int,
    related_customer_id: int,
    relation_type: RelationType,
    own_id: int | None = None,
) -> None:
    statement = select(RelatedParty.id).where(
        RelatedParty.customer_id == customer_id,
        RelatedParty.related_customer_id == related_customer_id,
        RelatedParty.relation_type == relation_type,
    )
    if own_id is not None:
        statement = statement.where(RelatedParty.id != own_id)
    existing = session.scalar(statement)
    if existing is not None:
        message = f"already linked as related party {existing}"
        raise DuplicateRelatedParty(
            f"customer {related_customer_id} is already the {relation_type} of customer "
            f"{customer_id} (related party {existing})",
            details=[
                field_error("customer_id", customer_id, message),
                field_error("related_customer_id", related_customer_id, message),
                field_error("relation_type", relation_type, message),
            ],
        )


def create_related_party(
    session: Session, actor: Actor, *, data: RelatedPartyCreate
) -> RelatedParty:
    customer = resolve_customer(
        session, customer_id=data.customer_id, customer_uscc=data.customer_uscc
    )
    related = resolve_customer(
        session,
        customer_id=data.related_customer_id,
        customer_uscc=data.related_customer_uscc,
        field_prefix="related_customer",
    )
    if related.id == customer.id:
        raise ValidationFailed(
            "a customer cannot be its own related party",
            details=[field_error("related_customer_id", related.id, "same as customer_id")],
        )
    _ensure_unique(
        session,
        customer_id=customer.id,
        related_customer_id=related.id,
        relation_type=data.relation_type,
    )
    link = RelatedParty(
        customer_id=customer.id,
        related_customer_id=related.id,
        **data.model_dump(
            exclude={"customer_id", "customer_uscc", "related_customer_id", "related_customer_uscc"}
        ),
    )
    session.add(link)
    session.flush()
    return link


def update_related_party(
    session: Session,
    actor: Actor,
    *,
    related_party_id: int,
    data: RelatedPartyUpdate,
    expected_version: int | None = None,
) -> RelatedParty:
    link = get_related_party(session, actor, related_party_id=related_party_id)
    label = f"related party {related_party_id}"
    check_version(link, expected_version, label=label)
    ensure_not_archived(link, label=label)
    if data.relation_type is not None:
        _ensure_unique(
            session,
            customer_id=link.customer_id,
            related_customer_id=link.related_customer_id,
            relation_type=data.relation_type,
            own_id=link.id,
        )
    for field, value in data.model_dump(exclude_unset=True).items():
        setattr(link, field, value)
    session.flush()
    return link


def archive_related_party(
    session: Session, actor: Actor, *, related_party_id: int, expected_version: int | None = None
) -> RelatedParty:
    link = get_related_party(session, actor, related_party_id=related_party_id)
    check_version(link, expected_version, label=f"related party {related_party_id}")
    archive(link)
    session.flush()
    return link


def restore_related_party(
    session: Session, actor: Actor, *, related_party_id: int, expected_version: int | None = None
) -> RelatedParty:
    link = get_related_party(session, actor, related_party_id=related_party_id)
    check_version(link, expected_version, label=f"related party {related_party_id}")
    restore(link)
    session.flush()
    return link
