"""The words of the order credit check: stages, outcomes, decisions, holds and their reasons."""

from __future__ import annotations

from enum import StrEnum

from fengkong.i18n import N_


class Stage(StrEnum):
    """Where in the order-to-cash flow the ERP asks (SAP's credit-check points)."""

    QUOTATION = "quotation"
    ORDER = "order"
    DELIVERY = "delivery"
    INVOICE = "invoice"


class StepOutcome(StrEnum):
    PASS = "pass"  # noqa: S105 - an outcome, not a password
    WARN = "warn"
    BLOCK = "block"
    REJECT = "reject"


class Decision(StrEnum):
    """What the ERP is told: go on, wait for a credit manager, or do not ship."""

    APPROVE = "approve"
    HOLD = "hold"
    REJECT = "reject"


class HoldStatus(StrEnum):
    OPEN = "open"
    RELEASED = "released"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"  # the ERP re-checked the changed order; the new check decides


HOLD_TRANSITIONS: dict[HoldStatus, frozenset[HoldStatus]] = {
    HoldStatus.OPEN: frozenset({HoldStatus.RELEASED, HoldStatus.REJECTED, HoldStatus.SUPERSEDED}),
    HoldStatus.RELEASED: frozenset(),
    HoldStatus.REJECTED: frozenset(),
    HoldStatus.SUPERSEDED: frozenset(),
}


class ReleaseKind(StrEnum):
    """How a held order is let through: as ordered, for a smaller approved amount, or against a
    prepayment that covers part (or all) of it."""

    FULL = "full"
    PARTIAL = "partial"
    PREPAYMENT = "prepayment"


class DecisionReason(StrEnum):
    """The fixed list of reasons a credit manager documents a release or rejection with."""

    PAYMENT_RECEIVED = "payment_received"
    PROMISE_TO_PAY = "promise_to_pay"
    COLLATERAL_PROVIDED = "collateral_provided"
    STRATEGIC_CUSTOMER = "strategic_customer"
    TEMPORARY_LIMIT = "temporary_limit"
    DISPUTE_CLARIFIED = "dispute_clarified"
    PREPAYMENT_AGREED = "prepayment_agreed"
    EXPOSURE_TOO_HIGH = "exposure_too_high"
    OVERDUE_NOT_SETTLED = "overdue_not_settled"
    CUSTOMER_BLOCKED = "customer_blocked"
    OTHER = "other"

    @property
    def label(self) -> str:
        """The English message id; shown translated."""
        return _REASON_LABELS[self]


_REASON_LABELS: dict[DecisionReason, str] = {
    DecisionReason.PAYMENT_RECEIVED: N_("Payment received"),
    DecisionReason.PROMISE_TO_PAY: N_("Credible promise to pay"),
    DecisionReason.COLLATERAL_PROVIDED: N_("Collateral or guarantee provided"),
    DecisionReason.STRATEGIC_CUSTOMER: N_("Strategic customer, risk accepted"),
    DecisionReason.TEMPORARY_LIMIT: N_("Covered by a temporary limit"),
    DecisionReason.DISPUTE_CLARIFIED: N_("Disputed invoice clarified"),
    DecisionReason.PREPAYMENT_AGREED: N_("Prepayment agreed"),
    DecisionReason.EXPOSURE_TOO_HIGH: N_("Exposure too high"),
    DecisionReason.OVERDUE_NOT_SETTLED: N_("Overdue items not settled"),
    DecisionReason.CUSTOMER_BLOCKED: N_("Customer is blocked"),
    DecisionReason.OTHER: N_("Other (see comment)"),
}

RELEASE_REASONS = frozenset(
    {
        DecisionReason.PAYMENT_RECEIVED,
        DecisionReason.PROMISE_TO_PAY,
        DecisionReason.COLLATERAL_PROVIDED,
        DecisionReason.STRATEGIC_CUSTOMER,
        DecisionReason.TEMPORARY_LIMIT,
        DecisionReason.DISPUTE_CLARIFIED,
        DecisionReason.PREPAYMENT_AGREED,
        DecisionReason.OTHER,
    }
)
REJECT_REASONS = frozenset(
    {
        DecisionReason.EXPOSURE_TOO_HIGH,
        DecisionReason.OVERDUE_NOT_SETTLED,
        DecisionReason.CUSTOMER_BLOCKED,
        DecisionReason.OTHER,
    }
)
