"""Which columns hold personal data, of what kind, and where their blind indexes live.

The one list that encryption, blind indexes, audit redaction, masking, key rotation and PIPL
requests all read, so a new personal column is declared once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import String, event
from sqlalchemy.orm import Mapped, mapped_column

from fengkong.privacy.crypto import EncryptedText, blind_index


class PersonalKind(StrEnum):
    NAME = "name"
    ID_NUMBER = "id_number"
    PHONE = "phone"
    EMAIL = "email"


@dataclass(frozen=True, slots=True)
class PersonalField:
    table: str
    column: str
    kind: PersonalKind
    blind_index: str

    @property
    def context(self) -> str:
        return f"{self.table}.{self.column}"


PERSONAL_FIELDS: tuple[PersonalField, ...] = (
    PersonalField(
        "customers", "legal_representative", PersonalKind.NAME, "legal_representative_bidx"
    ),
    PersonalField(
        "customers",
        "legal_representative_id_number",
        PersonalKind.ID_NUMBER,
        "legal_representative_id_number_bidx",
    ),
    PersonalField("customer_contacts", "name", PersonalKind.NAME, "name_bidx"),
    PersonalField("customer_contacts", "phone", PersonalKind.PHONE, "phone_bidx"),
    PersonalField("customer_contacts", "email", PersonalKind.EMAIL, "email_bidx"),
)
BLIND_INDEX_LENGTH = 64
ERASED = "[erased]"
"""What an erased personal value reads (PIPL erasure); it has no blind index and is not masked."""


def fields_of(table: str) -> tuple[PersonalField, ...]:
    return tuple(field for field in PERSONAL_FIELDS if field.table == table)


def redacted_columns(table: str) -> frozenset[str]:
    """What the audit log and outbox events show as ``***`` (values and their hashes)."""
    return frozenset(
        name for field in fields_of(table) for name in (field.column, field.blind_index)
    )


def encrypted_column(
    table: str, column: str, *, nullable: bool = True, sqlite_length: int | None = None
) -> Mapped[Any]:
    return mapped_column(
        EncryptedText(f"{table}.{column}", sqlite_length=sqlite_length), nullable=nullable
    )


def blind_index_column() -> Mapped[str | None]:
    return mapped_column(String(BLIND_INDEX_LENGTH), index=True)


def _stamp_blind_indexes(_mapper: Any, _connection: Any, target: Any) -> None:
    for field in fields_of(target.__tablename__):
        value = getattr(target, field.column)
        setattr(
            target, field.blind_index, None if value == ERASED else blind_index(field.kind, value)
        )


def keep_blind_indexes(model: type[Any]) -> None:
    """Recompute ``model``'s blind indexes from its plaintext on every ORM insert and update."""
    event.listen(model, "before_insert", _stamp_blind_indexes)
    event.listen(model, "before_update", _stamp_blind_indexes)


def with_blind_indexes(table: str, columns: Mapping[str, Sequence[Any]]) -> dict[str, list[Any]]:
    """Column-wise rows for a bulk insert, plus the blind indexes of the personal columns given."""
    result = {name: list(values) for name, values in columns.items()}
    for field in fields_of(table):
        if field.column in result:
            result[field.blind_index] = [
                blind_index(field.kind, value) for value in result[field.column]
            ]
    return result
