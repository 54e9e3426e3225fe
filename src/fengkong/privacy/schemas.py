"""PIPL request and legal-hold payloads."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field, model_validator

from fengkong.kit.schemas import InputModel, OutputModel
from fengkong.privacy.fields import PersonalKind
from fengkong.privacy.pipl import SubjectQuery


class SubjectIn(InputModel):
    """Who the request is about: exactly one identifier, matched exactly (blind index). Sent in
    the body, never in a URL, so it stays out of access logs."""

    id_number: str | None = Field(default=None, min_length=1, max_length=18)
    phone: str | None = Field(default=None, min_length=1, max_length=40)
    email: str | None = Field(default=None, min_length=1, max_length=254)
    name: str | None = Field(default=None, min_length=1, max_length=100)

    @model_validator(mode="after")
    def _exactly_one(self) -> SubjectIn:
        given = [kind for kind in PersonalKind if getattr(self, kind.value) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of id_number, phone, email, name")
        return self

    def query(self) -> SubjectQuery:
        kind = next(kind for kind in PersonalKind if getattr(self, kind.value) is not None)
        return SubjectQuery(kind, str(getattr(self, kind.value)))


class ErasureOut(OutputModel):
    request_id: str
    contacts_deleted: int
    representatives_erased: list[int]
    held: dict[int, list[str]] = Field(description="customers kept, with the hold's reasons")


class LegalHoldIn(InputModel):
    customer_id: int = Field(ge=1)
    reason: str = Field(min_length=1, max_length=300)


class LegalHoldOut(OutputModel):
    id: int
    customer_id: int
    reason: str
    set_by: str
    set_at: datetime
    released_by: str | None
    released_at: datetime | None
