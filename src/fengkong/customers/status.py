from __future__ import annotations

from enum import StrEnum


class CustomerStatus(StrEnum):
    PROSPECT = "prospect"
    ACTIVE = "active"
    DORMANT = "dormant"
    ARCHIVED = "archived"


CUSTOMER_TRANSITIONS: dict[CustomerStatus, frozenset[CustomerStatus]] = {
    CustomerStatus.PROSPECT: frozenset({CustomerStatus.ACTIVE, CustomerStatus.ARCHIVED}),
    CustomerStatus.ACTIVE: frozenset({CustomerStatus.DORMANT, CustomerStatus.ARCHIVED}),
    CustomerStatus.DORMANT: frozenset({CustomerStatus.ACTIVE, CustomerStatus.ARCHIVED}),
    CustomerStatus.ARCHIVED: frozenset({CustomerStatus.ACTIVE}),
}


class RelationType(StrEnum):
    """How one customer relates to another; read as '<related> is the <type> of <customer>'."""

    PARENT = "parent"
    SUBSIDIARY = "subsidiary"
    SAME_LEGAL_REPRESENTATIVE = "same_legal_representative"
    GUARANTOR = "guarantor"
