"""A customer's exposure, ageing and expected loss pinned on a hand-computed ledger (the worked
example of docs/exposure.md), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from fengkong.exposure import service
from fengkong.exposure.models import FxRate
from fengkong.exposure.schemas import MitigantCreate
from fengkong.exposure.status import MitigantKind
from fengkong.kit.money import Money
from tests import factories
from tests.integration.exposure.conftest import AS_OF, SYSTEM, hand_computed_ledger, rate


def test_receivables_are_aged_into_buckets_as_of_the_date(session: Session) -> None:
    ledger = hand_computed_ledger(session)

    exposure = service.customer_exposure(session, ledger.customer_id, as_of=AS_OF)

    assert exposure.receivables_by_bucket == {
        "not_due": 10_000_00,
        "dpd_1_30": 4_000_00,
        "dpd_31_60": 3_000_00,
        "dpd_61_90": 0,
        "dpd_90_plus": 2_000_00,
    }
    assert exposure.open_receivables == 19_000_00
    assert exposure.overdue == 9_000_00
    assert exposure.oldest_days_past_due == 121
    assert exposure.disputed == 1_000_00


def test_exposure_is_composed_mitigated_and_turned_into_expected_loss(session: Session) -> None:
    ledger = hand_computed_ledger(session)
    rate(session, ledger.customer_id, grade="C", pd=0.02)

    exposure = service.customer_exposure(session, ledger.customer_id, as_of=AS_OF)

    assert exposure.open_orders == 7_500_00
    assert exposure.unapplied_payments == 2_000_00
    assert exposure.contract_commitments == 90_000_00
    # 19,000 + 7,500 + 90,000 − 2,000
    assert exposure.gross_exposure == 114_500_00
    # 20,000 guarantee + 10,000 collateral × (1 − 0.30)
    assert exposure.mitigation == 27_000_00
    assert exposure.net_exposure == 87_500_00
    # 19,000 + 7,500 − 2,000 + 0.5 × 90,000
    assert exposure.ead == 69_500_00
    assert [(part.kind, part.amount, part.lgd) for part in exposure.secured] == [
        (MitigantKind.GUARANTEE, 20_000_00, 0.10),
        (MitigantKind.COLLATERAL, 7_000_00, 0.25),
    ]
    assert exposure.unsecured == 42_500_00
    # (42,500 × 0.45 + 20,000 × 0.10 + 7,000 × 0.25) / 69,500 = 22,875 / 69,500
    assert exposure.lgd == pytest.approx(22_875 / 69_500)
    assert exposure.pd == 0.02
    assert exposure.grade == "C"
    # 0.02 × 22,875 = 457.50
    assert exposure.expected_loss == 457_50


def test_an_unrated_customer_has_exposure_but_no_expected_loss(session: Session) -> None:
    ledger = hand_computed_ledger(session)

    exposure = service.customer_exposure(session, ledger.customer_id, as_of=AS_OF)

    assert exposure.pd is None
    assert exposure.expected_loss is None
    assert exposure.ead == 69_500_00


def test_the_fast_read_gives_the_credit_check_its_numbers(session: Session) -> None:
    ledger = hand_computed_ledger(session)

    fast = service.credit_exposure_fast(session, ledger.customer_id, as_of=AS_OF)

    assert fast.open_receivables == 19_000_00
    assert fast.open_orders == 7_500_00
    assert fast.unapplied_payments == 2_000_00
    assert fast.exposure == 24_500_00
    assert fast.overdue == 9_000_00
    # 4,000 × 10 + 3,000 × 60 + 2,000 × 121 yuan-days
    assert fast.overdue_weighted == 462_000_00
    assert fast.oldest_days_past_due == 121
    assert fast.disputed == 1_000_00
    # the disputed 1,000 of invoice C left out of the overdue rules
    assert fast.overdue_undisputed == 8_000_00
    assert fast.overdue_weighted_undisputed == 402_000_00
    assert fast.oldest_days_past_due_undisputed == 121


def test_a_mitigant_protects_only_within_its_dates(session: Session) -> None:
    customer = factories.customer()
    factories.invoice(customer_id=customer.id, amount=Money.of("1000.00", "CNY"))
    service.create_mitigant(
        session,
        SYSTEM,
        customer_id=customer.id,
        data=MitigantCreate.model_validate(
            {
                "kind": "guarantee",
                "amount": {"amount": "400.00", "currency": "CNY"},
                "valid_from": "2026-03-01",
                "valid_until": "2026-03-31",
            }
        ),
    )

    def mitigation(day: date) -> int:
        return service.customer_exposure(session, customer.id, as_of=day).mitigation

    assert mitigation(date(2026, 2, 28)) == 0
    assert mitigation(date(2026, 3, 1)) == 400_00
    assert mitigation(date(2026, 3, 31)) == 400_00
    assert mitigation(date(2026, 4, 1)) == 0


def test_mitigation_is_capped_at_gross_exposure(session: Session) -> None:
    customer = factories.customer()
    factories.invoice(customer_id=customer.id, amount=Money.of("1000.00", "CNY"))
    service.create_mitigant(
        session,
        SYSTEM,
        customer_id=customer.id,
        data=MitigantCreate.model_validate(
            {
                "kind": "prepayment",
                "amount": {"amount": "5000.00", "currency": "CNY"},
                "valid_from": "2026-01-01",
            }
        ),
    )

    exposure = service.customer_exposure(session, customer.id, as_of=AS_OF)

    assert (exposure.gross_exposure, exposure.mitigation, exposure.net_exposure) == (
        1_000_00,
        1_000_00,
        0,
    )
    assert exposure.lgd == 0.0


def test_foreign_currency_is_converted_with_a_rate_and_reported_without_one(
    session: Session,
) -> None:
    customer = factories.customer()
    factories.invoice(customer_id=customer.id, amount=Money.of("100.00", "USD"))
    factories.invoice(customer_id=customer.id, amount=Money.of("1000", "JPY"))
    session.add(
        FxRate(currency="USD", as_of=date(2026, 6, 1), rate=Decimal("7.12345"), recorded_by="t")
    )
    session.flush()

    exposure = service.customer_exposure(session, customer.id, as_of=AS_OF)

    assert exposure.open_receivables == 712_35  # 100 × 7.12345 = 712.345 → 712.35 half up
    assert exposure.unconverted == {"JPY": 1000}
