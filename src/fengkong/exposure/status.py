"""Kinds and lives of mitigants and invoice disputes."""

from __future__ import annotations

from enum import StrEnum


class MitigantKind(StrEnum):
    """What protects part of an exposure; each kind has a haircut and the LGD of the part it
    secures in the LGD configuration (``exposure/defaults/lgd.yaml``)."""

    GUARANTEE = "guarantee"
    COLLATERAL = "collateral"
    CREDIT_INSURANCE = "credit_insurance"
    PREPAYMENT = "prepayment"
    LETTER_OF_CREDIT = "letter_of_credit"


class MitigantStatus(StrEnum):
    """Active until released by a user or expired past its ``valid_until``."""

    ACTIVE = "active"
    RELEASED = "released"
    EXPIRED = "expired"


MITIGANT_TRANSITIONS: dict[MitigantStatus, frozenset[MitigantStatus]] = {
    MitigantStatus.ACTIVE: frozenset({MitigantStatus.RELEASED, MitigantStatus.EXPIRED}),
    MitigantStatus.RELEASED: frozenset(),
    MitigantStatus.EXPIRED: frozenset(),
}


class DisputeStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


DISPUTE_TRANSITIONS: dict[DisputeStatus, frozenset[DisputeStatus]] = {
    DisputeStatus.OPEN: frozenset({DisputeStatus.RESOLVED}),
    DisputeStatus.RESOLVED: frozenset(),
}


class DisputeResolution(StrEnum):
    """How a dispute ended: the customer was right (a credit note or correction follows), was
    not (the amount is owed as invoiced), or withdrew it."""

    UPHELD = "upheld"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
