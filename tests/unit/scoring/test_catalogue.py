from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from fengkong.scoring.context import ContextTables
from fengkong.scoring.features import (
    FEATURE_NAMES,
    FEATURES,
    FeatureGroup,
    compute_features,
    feature_names,
)
from fengkong.scoring.ledgers import Ledgers
from tests.unit.scoring.ledger_builders import AS_OF, build, customer, features

DOCS = Path(__file__).parents[3] / "docs" / "features.md"

CONTRACT = {
    FeatureGroup.FINANCIAL: (
        "debt_to_asset current_ratio quick_ratio net_profit_margin return_on_assets "
        "return_on_equity interest_coverage revenue_growth_yoy "
        "operating_cash_flow_to_liabilities equity_growth_yoy"
    ),
    FeatureGroup.PAYMENT: (
        "max_dpd_3m max_dpd_6m max_dpd_12m weighted_dpd_3m weighted_dpd_6m weighted_dpd_12m "
        "overdue_share on_time_payment_ratio_12m invoices_90plus_dpd dpd_trend"
    ),
    FeatureGroup.TRADING: (
        "order_count_trend order_amount_trend relationship_age_years limit_utilisation"
    ),
    FeatureGroup.EXTERNAL: (
        "agency_rating_ordinal agency_rating_change legal_events_24m legal_amount_24m "
        "enforcement_flag dishonest_debtor_flag"
    ),
    FeatureGroup.CONTEXT: (
        "industry_risk_level region_risk_level years_established registered_capital"
    ),
    FeatureGroup.QUALITATIVE: (
        "market_reputation management_quality operational_risk compliance_concern"
    ),
}


def test_feature_names_follow_the_scoring_contract_in_order_and_by_group() -> None:
    assert tuple(" ".join(CONTRACT.values()).split()) == FEATURE_NAMES
    for group, names in CONTRACT.items():
        assert feature_names(group) == tuple(names.split())


def test_every_feature_has_both_labels_and_a_one_line_definition() -> None:
    for spec in FEATURES:
        assert spec.label_zh
        assert spec.label_en
        assert spec.definition
        assert "\n" not in spec.definition
        assert re.search(r"[\u4e00-\u9fff]", spec.label_zh), spec.name
    assert FEATURES[0].label("zh_CN") == "资产负债率"
    assert FEATURES[0].label("en") == "Debt-to-asset ratio"


def test_docs_define_every_feature_in_one_table_row_in_catalogue_order() -> None:
    documented = re.findall(r"^\| `([a-z0-9_]+)` \|", DOCS.read_text(encoding="utf-8"), re.M)
    assert tuple(documented) == FEATURE_NAMES


def test_one_float_row_per_customer_sorted_by_id_even_for_customers_without_data() -> None:
    ledgers = build(customer(3), customer(1), customer(2))
    frame = compute_features(ledgers, AS_OF, ContextTables.default())
    assert frame.columns == ["customer_id", *FEATURE_NAMES]
    assert frame["customer_id"].to_list() == [1, 2, 3]
    assert all(dtype == pl.Float64 for dtype in frame.drop("customer_id").dtypes)


def test_a_customer_without_any_data_is_missing_everything_but_the_legal_register() -> None:
    values = features(build(customer(1)))
    register = {"legal_events_24m", "legal_amount_24m", "enforcement_flag", "dishonest_debtor_flag"}
    assert {name for name, value in values.items() if value is not None} == register
    assert all(values[name] == 0.0 for name in register)


def test_no_customers_give_an_empty_frame_with_every_column() -> None:
    frame = compute_features(Ledgers.empty(), AS_OF, ContextTables.default())
    assert frame.is_empty()
    assert frame.columns == ["customer_id", *FEATURE_NAMES]
