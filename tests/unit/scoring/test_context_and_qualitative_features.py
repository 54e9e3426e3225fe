from __future__ import annotations

from datetime import date

import pytest

from fengkong.scoring.context import ContextTables
from tests.unit.scoring.ledger_builders import AS_OF, answer, build, customer, features


def test_context_features_read_the_customer_record_and_the_configured_tables() -> None:
    ledgers = build(
        customer(
            1,
            industry_code="E4710",
            region_code="520100",
            established_on=date(2016, 6, 30),
            registered_capital=5_000_000,
        )
    )
    values = features(ledgers, context=ContextTables(industry={"E": 5, "E47": 4}, region={"52": 2}))
    assert values["industry_risk_level"] == 4.0
    assert values["region_risk_level"] == 2.0
    assert values["years_established"] == pytest.approx((AS_OF - date(2016, 6, 30)).days / 365.25)
    assert values["registered_capital"] == 5_000_000.0


def test_unknown_context_is_missing_and_a_company_not_yet_established_has_no_age() -> None:
    values = features(build(customer(1, industry_code="E", established_on=date(2026, 7, 1))))
    assert values["industry_risk_level"] == 5.0  # the default table rates construction 5
    assert values["region_risk_level"] is None
    assert values["years_established"] is None
    assert values["registered_capital"] is None


def test_qualitative_features_are_the_latest_answer_to_each_question_by_as_of() -> None:
    values = features(
        build(
            answer("market_reputation", 2, date(2025, 1, 1)),
            answer("market_reputation", 4, date(2026, 1, 1)),
            answer("market_reputation", 1, date(2026, 7, 1)),  # after as_of
            answer("management_quality", 1, date(2026, 3, 1)),
            answer("management_quality", 3, date(2026, 3, 1)),  # same day: the worse one
            answer("operational_risk", 5, date(2026, 6, 30)),
        )
    )
    assert values["market_reputation"] == 4.0
    assert values["management_quality"] == 3.0
    assert values["operational_risk"] == 5.0
    assert values["compliance_concern"] is None
