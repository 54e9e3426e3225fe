"""The pure exposure maths: ageing buckets, composition and expected loss, concentration,
related-party groups and the LGD configuration."""

from __future__ import annotations

from datetime import date

import pytest

from fengkong.exposure.ageing import OpenItem, age, bucket_of
from fengkong.exposure.concentration import concentration, connected_groups
from fengkong.exposure.config import LgdConfig, LgdConfigError, shipped, shipped_yaml
from fengkong.exposure.loss import ExposureInputs, Protection, compose, covered_by
from fengkong.exposure.status import MitigantKind

AS_OF = date(2026, 6, 30)


@pytest.mark.parametrize(
    ("days", "bucket"),
    [
        (0, "not_due"),
        (1, "dpd_1_30"),
        (30, "dpd_1_30"),
        (31, "dpd_31_60"),
        (60, "dpd_31_60"),
        (61, "dpd_61_90"),
        (90, "dpd_61_90"),
        (91, "dpd_90_plus"),
    ],
)
def test_bucket_edges_are_inclusive_at_their_upper_day(days: int, bucket: str) -> None:
    assert bucket_of(days) == bucket


def test_an_item_due_on_the_ageing_date_is_not_yet_overdue() -> None:
    ageing = age([OpenItem(AS_OF, 100), OpenItem(date(2026, 6, 29), 50, disputed=80)], AS_OF)
    assert ageing.buckets["not_due"] == 100
    assert (ageing.overdue, ageing.overdue_weighted, ageing.oldest_days_past_due) == (50, 50, 1)
    # a dispute larger than what is left counts only up to it
    assert (ageing.disputed, ageing.overdue_undisputed) == (50, 0)
    assert ageing.oldest_days_past_due_undisputed == 0


def test_unapplied_cash_beyond_receivables_offsets_commitments_and_never_goes_negative() -> None:
    figures = compose(
        ExposureInputs(
            open_receivables=100,
            open_orders=0,
            contract_commitments=1000,
            unapplied_payments=300,
            protections=(),
            industry_lgd=0.45,
            commitment_ccf=0.5,
            pd=0.1,
        )
    )
    assert (figures.gross_exposure, figures.ead) == (800, 300)
    assert figures.expected_loss == 14  # 0.1 × 0.45 × 300 = 13.5 → 14 (half up)


def test_the_best_protection_secures_ead_first() -> None:
    figures = compose(
        ExposureInputs(
            open_receivables=1000,
            open_orders=0,
            contract_commitments=0,
            unapplied_payments=0,
            protections=(
                Protection(1, MitigantKind.COLLATERAL, 800, 0.25),
                Protection(2, MitigantKind.PREPAYMENT, 300, 0.0),
            ),
            industry_lgd=0.45,
            commitment_ccf=0.5,
            pd=None,
        )
    )
    assert [(part.mitigant_id, part.amount) for part in figures.secured] == [(2, 300), (1, 700)]
    assert figures.unsecured == 0
    assert figures.lgd == pytest.approx(0.175)  # 700 × 0.25 / 1000
    assert figures.expected_loss is None
    assert covered_by(1001, 0.3) == 701  # 700.7 → 701


def test_concentration_of_four_customers() -> None:
    result = concentration({1: 40, 2: 30, 3: 20, 4: 10, 5: 0}, top_n=2)
    assert result.top == ((1, 40), (2, 30))
    assert result.top_share == pytest.approx(0.7)
    assert result.herfindahl == pytest.approx(0.30)
    assert concentration({}).herfindahl == 0.0


def test_groups_are_connected_components_keyed_by_their_smallest_id() -> None:
    groups = connected_groups([(5, 3), (3, 9), (7, 8)])
    assert groups == {3: 3, 5: 3, 9: 3, 7: 7, 8: 7}


def test_the_shipped_configuration_parses_and_falls_back_for_unknown_sections() -> None:
    config = shipped()
    assert config.industry_lgd_of("F51") == 0.45
    assert config.industry_lgd_of("H61") == 0.55
    assert config.industry_lgd_of(None) == config.default_lgd
    assert config.terms(MitigantKind.PREPAYMENT).lgd == 0.0
    assert len(config.sha256) == 64


def test_a_share_out_of_range_is_refused_naming_the_field() -> None:
    text = shipped_yaml().replace("commitment_ccf: 0.5", "commitment_ccf: 1.5")
    with pytest.raises(LgdConfigError, match="commitment_ccf"):
        LgdConfig.from_yaml(text)
