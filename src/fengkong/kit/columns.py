"""Column helpers shared by every area's tables."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy import Enum as SAEnum
from sqlalchemy.orm import Mapped, composite, declared_attr, mapped_column
from sqlalchemy.orm.properties import MappedColumn

from fengkong.kit.money import Money, money_or_none
from fengkong.kit.provenance import DataSource
from fengkong.kit.time import utcnow

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
BigIntegerKey = BigInteger().with_variant(Integer(), "sqlite")


def enum_type(enum_class: type[StrEnum], *, length: int = 32) -> SAEnum:
    """A portable VARCHAR + CHECK column for a ``StrEnum`` storing its values, not its names."""
    return SAEnum(
        enum_class,
        native_enum=False,
        create_constraint=True,
        length=length,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
        name=enum_class.__name__.lower(),
    )


def money(amount_column: str, currency_column: str = "currency") -> Any:
    """An exact ``Money`` attribute over an integer minor-units column and a currency column."""
    return composite(Money.from_minor_units, amount_column, currency_column)


def optional_money(amount_column: str, currency_column: str) -> Any:
    return composite(money_or_none, amount_column, currency_column)


def minor_units(*, nullable: bool = False) -> MappedColumn[Any]:
    return mapped_column(BigInteger, nullable=nullable)


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Sourced:
    """Provenance of a business record: stamped at flush from the unit of work's ``Provenance``."""

    source: Mapped[DataSource] = mapped_column(
        enum_type(DataSource, length=16), default=DataSource.API
    )
    source_ref: Mapped[str] = mapped_column(String(100), default="")
    sourced_at: Mapped[datetime] = mapped_column(default=utcnow)


class Archivable:
    """Records are archived, not deleted: lists hide them, history and audit keep them."""

    archived_at: Mapped[datetime | None] = mapped_column()


class Versioned:
    """Optimistic concurrency: a stale write raises ``StaleDataError``, never loses an update."""

    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]
