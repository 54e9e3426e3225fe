from __future__ import annotations

from enum import StrEnum


class CustomerStatus(StrEnum):
    PROSPECT = "prospect"
    ACTIVE = "active"
    DORMANT = "dormant"


CUSTOMER_TRANSITIONS: dict[CustomerStatus, frozenset[CustomerStatus]] = {
    CustomerStatus.PROSPECT: frozenset({CustomerStatus.ACTIVE}),
    CustomerStatus.ACTIVE: frozenset({CustomerStatus.DORMANT}),
    CustomerStatus.DORMANT: frozenset({CustomerStatus.ACTIVE}),
}


class USCCVerification(StrEnum):
    """Whether a business registry confirmed the customer's USCC and name."""

    UNVERIFIED = "unverified"
    VERIFIED = "verified"
    MISMATCH = "mismatch"


class RelationType(StrEnum):
    """How one customer relates to another; read as '<related> is the <type> of <customer>'."""

    PARENT = "parent"
    SUBSIDIARY = "subsidiary"
    SAME_LEGAL_REPRESENTATIVE = "same_legal_representative"
    GUARANTOR = "guarantor"


class InteractionKind(StrEnum):
    """How a user was in touch with the customer, as the interaction log records it."""

    CALL = "call"
    VISIT = "visit"
    EMAIL = "email"
    NOTE = "note"
