"""The receivables facts the rules read (days past due, overdue and open amounts, DSO now and a
quarter ago, payment days in the last quarter and the half-year before), on a hand-built ledger
whose every figure is worked out below."""

from __future__ import annotations

from datetime import date

import pytest

from fengkong.monitoring.facts import _Invoice, _ledger
from fengkong.receivables.status import InvoiceStatus

# The windows: the last 90 days end on AS_OF, the quarter before on 1 April; the payment days
# before run over the 180 days before 1 April.
AS_OF = date(2026, 6, 30)


def invoice(
    issued: date,
    due: date,
    amount: int,
    paid: list[tuple[date, int]],
    status: InvoiceStatus = InvoiceStatus.OPEN,
) -> _Invoice:
    return _Invoice(1, issued, due, amount, status, paid)


LEDGER = [
    # issued in the last quarter, 400 paid 40 days after issue: 600 open, 30 days past due
    invoice(date(2026, 5, 1), date(2026, 5, 31), 1000, [(date(2026, 6, 10), 400)]),
    # issued the quarter before; 500 paid then (47 days), 1,500 in the last quarter (103 days)
    invoice(
        date(2026, 2, 1),
        date(2026, 3, 3),
        2000,
        [(date(2026, 3, 20), 500), (date(2026, 5, 15), 1500)],
        InvoiceStatus.PAID,
    ),
    # issued ten days ago, not due yet
    invoice(date(2026, 6, 20), date(2026, 7, 20), 500, []),
    # written off: never open, but its payment (45 days) counts among the payment days before
    invoice(
        date(2025, 12, 1),
        date(2025, 12, 31),
        800,
        [(date(2026, 1, 15), 100)],
        InvoiceStatus.WRITTEN_OFF,
    ),
    # 97 days past due; paid after AS_OF, so still open on AS_OF
    invoice(date(2026, 3, 15), date(2026, 3, 25), 300, [(date(2026, 7, 5), 300)]),
]


def test_the_receivables_facts_of_a_ledger_are_worked_out_on_the_day_and_a_quarter_before() -> None:
    facts = _ledger(LEDGER, AS_OF)

    assert facts.open_receivables == 600 + 500 + 300
    assert facts.overdue == 600 + 300
    assert facts.days_past_due == (AS_OF - date(2026, 3, 25)).days == 97
    # open now over the last quarter's sales (1,000 + 500), times 90 days
    assert facts.dso_recent == pytest.approx(1400 / 1500 * 90)
    # open on 1 April (1,500 of the second invoice, the 300) over that quarter's sales
    assert facts.dso_before == pytest.approx((1500 + 300) / (2000 + 300) * 90)
    assert facts.payment_days_recent == pytest.approx((40 * 400 + 103 * 1500) / (400 + 1500))
    assert facts.payment_days_before == pytest.approx((47 * 500 + 45 * 100) / (500 + 100))


def test_a_ledger_without_sales_or_payments_in_a_window_has_no_dso_or_payment_days_there() -> None:
    old = [invoice(date(2025, 1, 10), date(2025, 2, 9), 700, [])]

    facts = _ledger(old, AS_OF)

    assert facts.open_receivables == 700
    assert facts.days_past_due == (AS_OF - date(2025, 2, 9)).days
    assert facts.dso_recent is None
    assert facts.dso_before is None
    assert facts.payment_days_recent is None
    assert facts.payment_days_before is None


def test_a_day_on_a_window_edge_falls_in_the_window_it_ends() -> None:
    # 1 April ends the quarter before (sales and the payment days before); AS_OF ends the last.
    edges = [
        invoice(date(2026, 4, 1), date(2026, 5, 1), 1000, [(date(2026, 4, 1), 200)]),
        invoice(date(2026, 4, 2), date(2026, 5, 2), 500, [(AS_OF, 100)]),
    ]

    facts = _ledger(edges, AS_OF)

    assert facts.open_receivables == 800 + 400
    assert facts.days_past_due == (AS_OF - date(2026, 5, 1)).days
    assert facts.dso_recent == pytest.approx(1200 / 500 * 90)
    assert facts.dso_before == pytest.approx(800 / 1000 * 90)
    assert facts.payment_days_recent == pytest.approx((AS_OF - date(2026, 4, 2)).days)
    assert facts.payment_days_before == 0
