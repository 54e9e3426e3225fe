from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, ClassVar

from pydantic import AwareDatetime, Field, PlainSerializer, ValidationInfo, field_validator

from fengkong.customers.resident_id import validate_resident_id
from fengkong.customers.status import CustomerStatus, InteractionKind, RelationType
from fengkong.customers.uscc import InvalidUSCC, validate_uscc
from fengkong.kit.schemas import InputModel, MoneyIn, MoneyOut, OutputModel
from fengkong.records import RecordRead, RecordUpdate
from fengkong.reference.classifications import (
    UnknownCode,
    validate_industry_code,
    validate_region_code,
)


def _uscc(value: str) -> str:
    try:
        return validate_uscc(value)
    except InvalidUSCC as exc:
        raise ValueError(str(exc)) from exc


def _industry(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    try:
        return validate_industry_code(value)
    except UnknownCode as exc:
        raise ValueError(str(exc)) from exc


def _region(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    try:
        return validate_region_code(value)
    except UnknownCode as exc:
        raise ValueError(str(exc)) from exc


def _resident_id(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    return validate_resident_id(value)


class CustomerFields(InputModel):
    name_en: str | None = Field(default=None, max_length=200)
    industry_code: str | None = None
    region_code: str | None = None
    registered_capital: MoneyIn | None = None
    established_on: date | None = None
    legal_representative: str | None = Field(default=None, max_length=100)
    legal_representative_id_number: str | None = Field(default=None, max_length=18)
    address: str | None = Field(default=None, max_length=300)

    @field_validator("legal_representative_id_number")
    @classmethod
    def _valid_resident_id(cls, value: str | None) -> str | None:
        return _resident_id(value)

    @field_validator("industry_code")
    @classmethod
    def _known_industry(cls, value: str | None) -> str | None:
        return _industry(value)

    @field_validator("region_code")
    @classmethod
    def _known_region(cls, value: str | None) -> str | None:
        return _region(value)

    @field_validator("established_on")
    @classmethod
    def _not_in_future(cls, value: date | None) -> date | None:
        if value is not None and value > date.today():  # noqa: DTZ011 - a calendar date, any zone
            raise ValueError("establishment date is in the future")
        return value


class CustomerCreate(CustomerFields):
    uscc: str
    name: str = Field(min_length=1, max_length=200)

    @field_validator("uscc")
    @classmethod
    def _valid_uscc(cls, value: str) -> str:
        return _uscc(value)


class CustomerUpdate(CustomerFields, RecordUpdate):
    """Fields a user may change; only those sent are applied."""

    __not_null__: ClassVar[frozenset[str]] = frozenset({"name", "status"})

    name: str | None = Field(default=None, min_length=1, max_length=200)
    status: CustomerStatus | None = None


class CustomerRead(RecordRead):
    uscc: str
    name: str
    name_en: str | None
    industry_code: str | None
    region_code: str | None
    registered_capital: MoneyOut | None
    established_on: date | None
    legal_representative: str | None = Field(
        description="masked (张*) unless the reader has pii:read"
    )
    legal_representative_id_number: str | None = Field(
        description="masked (110***********1234) unless the reader has pii:read"
    )
    address: str | None
    status: CustomerStatus
    owner_id: int | None


class CustomerListItem(CustomerRead):
    """A customer in a list, with its current rating (null until it is scored)."""

    grade: str | None = None
    score: float | None = None
    pd: float | None = None
    rated_as_of: date | None = None


def _one_of(info: ValidationInfo, id_field: str, uscc: str | None) -> str | None:
    """Exactly one of ``<x>_id`` and ``<x>_uscc`` must be sent; the error names the USCC field."""
    if id_field not in info.data:  # the id itself was invalid and is reported already
        return None if uscc is None else _uscc(uscc)
    customer_id = info.data[id_field]
    if customer_id is not None and uscc is not None:
        raise ValueError(f"give {id_field} or {info.field_name}, not both")
    if customer_id is None and uscc is None:
        raise ValueError(f"give {id_field} or {info.field_name}")
    return None if uscc is None else _uscc(uscc)


class CustomerReference(InputModel):
    """Which customer a record belongs to: its ``customer_id`` or its ``customer_uscc``, exactly
    one. Machines that sync from an ERP know the USCC; the UI knows the id."""

    customer_id: int | None = Field(default=None, ge=1)
    customer_uscc: str | None = Field(default=None, validate_default=True)

    @field_validator("customer_uscc")
    @classmethod
    def _exactly_one(cls, value: str | None, info: ValidationInfo) -> str | None:
        return _one_of(info, "customer_id", value)


class RelatedPartyFields(InputModel):
    ownership_share: Decimal | None = Field(
        default=None, gt=0, le=1, max_digits=7, decimal_places=6, description="a fraction, 0.51"
    )
    since: date | None = None
    note: str | None = Field(default=None, max_length=500)

    @field_validator("since")
    @classmethod
    def _not_in_future(cls, value: date | None) -> date | None:
        if value is not None and value > date.today():  # noqa: DTZ011 - a calendar date, any zone
            raise ValueError("the relation cannot start in the future")
        return value


class RelatedPartyCreate(CustomerReference, RelatedPartyFields):
    """``<related customer> is the <relation_type> of <customer>``."""

    related_customer_id: int | None = Field(default=None, ge=1)
    related_customer_uscc: str | None = Field(default=None, validate_default=True)
    relation_type: RelationType
    verified: bool = False

    @field_validator("related_customer_uscc")
    @classmethod
    def _exactly_one_related(cls, value: str | None, info: ValidationInfo) -> str | None:
        return _one_of(info, "related_customer_id", value)


class RelatedPartyUpdate(RelatedPartyFields, RecordUpdate):
    """The link's two customers are its identity; change the rest, or archive it and link anew."""

    __not_null__: ClassVar[frozenset[str]] = frozenset({"relation_type", "verified"})

    relation_type: RelationType | None = None
    verified: bool | None = None


Fraction = Annotated[
    Decimal, PlainSerializer(lambda value: format(value.normalize(), "f"), return_type=str)
]
"""A share such as 0.51, the same however the database pads it (0.510000)."""


class RelatedPartyRead(RecordRead):
    customer_id: int
    related_customer_id: int
    relation_type: RelationType
    ownership_share: Fraction | None
    since: date | None
    note: str | None
    verified: bool


class InteractionCreate(InputModel):
    """A call, visit, email or note to log. The rules on the text and the dates (not empty, not
    too long, not in the future, a follow-up not before the interaction) are the service's, so
    the form and the API report them alike, by field."""

    kind: InteractionKind
    occurred_at: AwareDatetime
    summary: str
    follow_up_on: date | None = None


class InteractionRead(OutputModel):
    id: int
    customer_id: int
    kind: InteractionKind
    occurred_at: datetime
    summary: str
    follow_up_on: date | None
    author: str
    created_at: datetime


class ContactRead(OutputModel):
    """A contact person; name, phone and email are masked unless the reader has pii:read."""

    id: int
    customer_id: int
    name: str
    title: str | None
    phone: str | None
    email: str | None
    is_primary: bool
