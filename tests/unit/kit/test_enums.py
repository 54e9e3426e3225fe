from __future__ import annotations

import pytest

from fengkong.customers.status import CUSTOMER_TRANSITIONS, CustomerStatus
from fengkong.kit.enums import TransitionError, check_transition
from fengkong.receivables.status import INVOICE_TRANSITIONS, InvoiceStatus


def test_allowed_transitions_pass_and_staying_put_is_always_allowed() -> None:
    assert (
        check_transition(CustomerStatus.ACTIVE, CustomerStatus.DORMANT, CUSTOMER_TRANSITIONS)
        is CustomerStatus.DORMANT
    )
    assert (
        check_transition(InvoiceStatus.PAID, InvoiceStatus.PAID, INVOICE_TRANSITIONS)
        is InvoiceStatus.PAID
    )


def test_a_written_off_invoice_cannot_come_back_to_life() -> None:
    with pytest.raises(TransitionError, match="written_off to open"):
        check_transition(InvoiceStatus.WRITTEN_OFF, InvoiceStatus.OPEN, INVOICE_TRANSITIONS)
