from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fengkong.customers.status import (
    CustomerStatus,
    InteractionKind,
    RelationType,
    USCCVerification,
)
from fengkong.db import Base
from fengkong.events.spec import OutboxSpec
from fengkong.kit.columns import (
    Archivable,
    Sourced,
    Timestamped,
    Versioned,
    enum_type,
    minor_units,
    optional_money,
)
from fengkong.kit.money import Money
from fengkong.kit.time import utcnow
from fengkong.privacy.fields import (
    blind_index_column,
    encrypted_column,
    keep_blind_indexes,
    redacted_columns,
)


class Customer(Sourced, Archivable, Timestamped, Versioned, Base):
    __tablename__ = "customers"
    __outbox__: ClassVar[OutboxSpec] = OutboxSpec(
        created="customer_created", updated="customer_updated", customer_attribute="id"
    )
    __audit_redact__: ClassVar[frozenset[str]] = redacted_columns("customers")
    __table_args__ = (
        CheckConstraint(
            "(registered_capital_minor IS NULL) = (registered_capital_currency IS NULL)",
            name="registered_capital_has_currency",
        ),
        CheckConstraint(
            "registered_capital_minor IS NULL OR registered_capital_minor >= 0",
            name="registered_capital_not_negative",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    name_en: Mapped[str | None] = mapped_column(String(200))
    industry_code: Mapped[str | None] = mapped_column(String(5), index=True)
    region_code: Mapped[str | None] = mapped_column(String(6), index=True)
    registered_capital_minor: Mapped[int | None] = minor_units(nullable=True)
    registered_capital_currency: Mapped[str | None] = mapped_column(String(3))
    registered_capital: Mapped[Money | None] = optional_money(
        "registered_capital_minor", "registered_capital_currency"
    )
    established_on: Mapped[date | None] = mapped_column()
    # Personal data of a natural person: encrypted at rest, found by blind index (docs/security.md).
    legal_representative: Mapped[str | None] = encrypted_column(
        "customers", "legal_representative", sqlite_length=100
    )
    legal_representative_bidx: Mapped[str | None] = blind_index_column()
    legal_representative_id_number: Mapped[str | None] = encrypted_column(
        "customers", "legal_representative_id_number"
    )
    legal_representative_id_number_bidx: Mapped[str | None] = blind_index_column()
    address: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[CustomerStatus] = mapped_column(
        enum_type(CustomerStatus), default=CustomerStatus.ACTIVE, index=True
    )
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    uscc_verification: Mapped[USCCVerification] = mapped_column(
        enum_type(USCCVerification, length=16), default=USCCVerification.UNVERIFIED
    )
    uscc_verified_at: Mapped[datetime | None] = mapped_column()
    # What the registry said when it disagreed (e.g. another registered name for this USCC).
    uscc_verification_note: Mapped[str | None] = mapped_column(String(300))


class CustomerContact(Timestamped, Base):
    __tablename__ = "customer_contacts"
    __outbox__: ClassVar[OutboxSpec] = OutboxSpec(
        created="customer_updated", updated="customer_updated", deleted="customer_updated"
    )
    __audit_redact__: ClassVar[frozenset[str]] = redacted_columns("customer_contacts")

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = encrypted_column("customer_contacts", "name", nullable=False)
    name_bidx: Mapped[str | None] = blind_index_column()
    title: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = encrypted_column("customer_contacts", "phone")
    phone_bidx: Mapped[str | None] = blind_index_column()
    email: Mapped[str | None] = encrypted_column("customer_contacts", "email")
    email_bidx: Mapped[str | None] = blind_index_column()
    is_primary: Mapped[bool] = mapped_column(default=False)


keep_blind_indexes(Customer)
keep_blind_indexes(CustomerContact)


class RelatedParty(Sourced, Archivable, Timestamped, Versioned, Base):
    __tablename__ = "related_parties"
    __outbox__: ClassVar[OutboxSpec] = OutboxSpec(
        created="related_party_linked",
        updated="related_party_updated",
        deleted="related_party_unlinked",
    )
    __table_args__ = (
        UniqueConstraint("customer_id", "related_customer_id", "relation_type"),
        CheckConstraint("customer_id <> related_customer_id", name="not_self"),
        CheckConstraint(
            "ownership_share IS NULL OR (ownership_share > 0 AND ownership_share <= 1)",
            name="ownership_share_is_fraction",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    related_customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    relation_type: Mapped[RelationType] = mapped_column(enum_type(RelationType))
    ownership_share: Mapped[Decimal | None] = mapped_column(Numeric(7, 6))
    since: Mapped[date | None] = mapped_column()
    note: Mapped[str | None] = mapped_column(String(500))
    # Outside data (registry aggregators, agencies) can be linked by a person's or company's name,
    # which is ambiguous; it stays unverified until matched on the USCC.
    verified: Mapped[bool] = mapped_column(default=False)


class CustomerInteraction(Base):
    """A call, visit, email or note about the customer, logged by a user: the relationship
    history a reviewer reads beside the numbers. Written once, never edited (a correction is a
    new entry), so the log stays what was known when."""

    __tablename__ = "customer_interactions"
    __table_args__ = (Index(None, "customer_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    kind: Mapped[InteractionKind] = mapped_column(enum_type(InteractionKind, length=16))
    occurred_at: Mapped[datetime] = mapped_column()
    summary: Mapped[str] = mapped_column(Text)
    follow_up_on: Mapped[date | None] = mapped_column()
    author: Mapped[str] = mapped_column(String(64))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
