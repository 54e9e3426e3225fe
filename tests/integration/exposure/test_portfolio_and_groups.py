"""Portfolio totals and concentration on a small hand-computed book, group exposure over
related parties, disputes and mitigant life."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from fengkong.errors import ValidationFailed
from fengkong.exposure import service
from fengkong.exposure.schemas import (
    DisputeCreate,
    DisputeResolve,
    MitigantCreate,
    MitigantUpdate,
)
from fengkong.exposure.status import DisputeResolution, DisputeStatus, MitigantStatus
from fengkong.kit.money import Money
from fengkong.receivables.status import InvoiceStatus
from tests import factories
from tests.integration.exposure.conftest import AS_OF, SYSTEM, rate


def _customer_owing(
    amount: str, *, industry: str | None = "F51", region: str | None = "310115"
) -> int:
    customer = factories.customer(industry_code=industry, region_code=region)
    factories.invoice(
        customer_id=customer.id,
        amount=Money.of(amount, "CNY"),
        issue_date=date(2026, 6, 1),
        due_date=date(2026, 7, 1),
    )
    return customer.id


def test_portfolio_totals_breakdowns_and_concentration_on_a_small_book(session: Session) -> None:
    # Four customers owing 400, 300, 200 and 100 (not due), the first two linked as a group.
    a = _customer_owing("400.00", industry="F51", region="310115")
    b = _customer_owing("300.00", industry="C13", region="320100")
    c = _customer_owing("200.00", industry="F52", region="310104")
    d = _customer_owing("100.00", industry=None, region=None)
    factories.related_party(customer_id=a, related_customer_id=b)
    rate(session, a, grade="B", pd=0.01)
    rate(session, b, grade="D", pd=0.10)

    result = service.portfolio_exposure(session, SYSTEM, as_of=AS_OF)

    # Other tests' customers are rolled back; this book is the whole portfolio.
    assert result.customers == 4
    assert result.gross_exposure == result.net_exposure == result.ead == 1_000_00
    assert result.receivables_by_bucket["not_due"] == 1_000_00
    # EL: 400 × 0.45 × 0.01 + 300 × 0.45 × 0.10 = 1.80 + 13.50
    assert result.expected_loss == 15_30
    assert result.unrated_ead == 300_00
    assert [(row.key, row.ead, row.expected_loss) for row in result.by_grade] == [
        ("B", 400_00, 1_80),
        ("D", 300_00, 13_50),
        ("unrated", 300_00, 0),
    ]
    assert [(row.key, row.customers, row.ead) for row in result.by_industry] == [
        ("C", 1, 300_00),
        ("F", 2, 600_00),
        ("unknown", 1, 100_00),
    ]
    assert [(row.key, row.ead) for row in result.by_region] == [
        ("310000", 600_00),
        ("320000", 300_00),
        ("unknown", 100_00),
    ]
    # Shares 0.4, 0.3, 0.2, 0.1: HHI = 0.16 + 0.09 + 0.04 + 0.01 = 0.30; all four in the top 10.
    assert result.top_share == pytest.approx(1.0)
    assert result.herfindahl == pytest.approx(0.30)
    assert [row.key for row in result.top] == [a, b, c, d]
    # Groups {a, b} = 0.7, {c} = 0.2, {d} = 0.1: HHI = 0.49 + 0.04 + 0.01 = 0.54.
    assert result.group_herfindahl == pytest.approx(0.54)
    assert [(row.key, row.members) for row in result.top_groups] == [(min(a, b), 2), (c, 1), (d, 1)]
    assert [row.share for row in result.top_groups] == pytest.approx([0.7, 0.2, 0.1])


def test_group_exposure_sums_customers_linked_directly_or_through_others(
    session: Session,
) -> None:
    parent = _customer_owing("1000.00")
    subsidiary = _customer_owing("500.00")
    sister = _customer_owing("250.00")
    stranger = _customer_owing("999.00")
    factories.related_party(customer_id=parent, related_customer_id=subsidiary)
    factories.related_party(customer_id=sister, related_customer_id=parent)
    rate(session, parent, grade="B", pd=0.01)

    group = service.group_exposure(session, SYSTEM, customer_id=subsidiary, as_of=AS_OF)

    assert sorted(member.customer_id for member in group.members) == sorted(
        [parent, subsidiary, sister]
    )
    assert stranger not in {member.customer_id for member in group.members}
    assert group.gross_exposure == group.ead == 1_750_00
    assert group.expected_loss == 4_50  # 1,000 × 0.45 × 0.01
    assert group.unrated_ead == 750_00


def test_a_dispute_never_exceeds_what_is_outstanding_and_resolving_it_closes_it(
    session: Session,
) -> None:
    invoice = factories.invoice(amount=Money.of("1000.00", "CNY"))

    def dispute(amount: str) -> DisputeCreate:
        return DisputeCreate.model_validate(
            {"amount": {"amount": amount, "currency": "CNY"}, "reason": "质量问题"}
        )

    first = service.open_dispute(session, SYSTEM, invoice_id=invoice.id, data=dispute("600.00"))
    with pytest.raises(ValidationFailed) as refused:
        service.open_dispute(session, SYSTEM, invoice_id=invoice.id, data=dispute("400.01"))
    assert refused.value.details[0]["field"] == "amount.amount"
    service.open_dispute(session, SYSTEM, invoice_id=invoice.id, data=dispute("400.00"))
    assert service.disputed_invoice_ids(session, customer_id=invoice.customer_id) == {invoice.id}

    resolved = service.resolve_dispute(
        session,
        SYSTEM,
        dispute_id=first.id,
        data=DisputeResolve(resolution=DisputeResolution.REJECTED, note="货物合格"),
    )

    assert resolved.status is DisputeStatus.RESOLVED
    assert (resolved.resolution, resolved.resolved_by) == (DisputeResolution.REJECTED, "test")
    fast = service.credit_exposure_fast(session, invoice.customer_id, as_of=AS_OF)
    assert fast.disputed == 400_00
    with pytest.raises(service.DisputeAlreadyResolved):
        service.resolve_dispute(
            session,
            SYSTEM,
            dispute_id=first.id,
            data=DisputeResolve(resolution=DisputeResolution.UPHELD),
        )


def test_a_paid_invoice_cannot_be_disputed(session: Session) -> None:
    invoice = factories.invoice(outstanding=Money.of("0.00", "CNY"), status=InvoiceStatus.PAID)
    with pytest.raises(service.InvoiceNotDisputable):
        service.open_dispute(
            session,
            SYSTEM,
            invoice_id=invoice.id,
            data=DisputeCreate.model_validate(
                {"amount": {"amount": "1.00", "currency": "CNY"}, "reason": "x"}
            ),
        )


def test_a_mitigant_takes_its_kinds_haircut_and_can_be_released_or_expire(
    session: Session,
) -> None:
    customer = factories.customer()

    def create(kind: str, until: str | None = None) -> int:
        data = MitigantCreate.model_validate(
            {
                "kind": kind,
                "amount": {"amount": "1000.00", "currency": "CNY"},
                "valid_from": "2026-01-01",
                "valid_until": until,
            }
        )
        return service.create_mitigant(session, SYSTEM, customer_id=customer.id, data=data).id

    collateral = create("collateral")
    insurance = create("credit_insurance", "2026-05-31")
    assert service.get_mitigant(session, SYSTEM, mitigant_id=collateral).haircut == 0.30
    mitigant = service.get_mitigant(session, SYSTEM, mitigant_id=collateral)
    assert service.covered(mitigant) == Money.of("700.00", "CNY")

    released = service.release_mitigant(session, SYSTEM, mitigant_id=collateral)
    assert released.status is MitigantStatus.RELEASED
    assert service.expire_mitigants(session, SYSTEM, today=date(2026, 6, 1)) == 1
    expired = service.get_mitigant(session, SYSTEM, mitigant_id=insurance)
    assert expired.status is MitigantStatus.EXPIRED
    with pytest.raises(service.MitigantNotActive):
        service.update_mitigant(
            session,
            SYSTEM,
            mitigant_id=insurance,
            data=MitigantUpdate(provider="平安保险"),
        )
