"""The limit policy on hand-computed cases: recommendation steps, rounding half-up, starter
limits, risk classes, approval tiers by amount and grade, block rules, and YAML validation."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from fengkong.limits import messages
from fengkong.limits.configs import shipped_yaml
from fengkong.limits.policy import (
    BlockFacts,
    LimitInputs,
    LimitPolicy,
    PolicyError,
    firing_rules,
    recommend,
    round_to_step,
)

TODAY = date(2026, 6, 30)
YUAN = 100  # minor units per yuan


@pytest.fixture(scope="module")
def policy() -> LimitPolicy:
    return LimitPolicy.from_yaml(shipped_yaml())


def statement(
    grade: str | None, *, equity: int | None, revenue: int | None, terms: int | None = 60
) -> LimitInputs:
    return LimitInputs(
        grade=grade,
        statement_period_end=date(2025, 12, 31),
        statement_currency="CNY",
        equity=None if equity is None else equity * YUAN,
        revenue=None if revenue is None else revenue * YUAN,
        payment_terms_days=terms,
    )


def test_equity_share_sets_the_limit_when_it_is_the_smallest_base(policy: LimitPolicy) -> None:
    # B: equity 4,300,000 × 15 % = 645,000; revenue 12,000,000 / 12 × 60/30 × 40 % = 800,000;
    # cap 30,000,000. The smallest, 645,000, rounds half-up to 650,000 (banker's gives 640,000).
    result = recommend(policy, statement("B", equity=4_300_000, revenue=12_000_000), today=TODAY)
    assert result.amount == 650_000 * YUAN
    assert result.basis == "equity"
    assert result.risk_class == "low"
    keys = [line.key for line in result.reasons]
    assert keys == [
        "grade",
        "statement",
        "equity_base",
        "revenue_base",
        "grade_cap",
        "smallest",
        "rounded",
    ]
    revenue = next(line for line in result.reasons if line.key == "revenue_base")
    assert revenue.values["amount"] == 800_000 * YUAN


def test_revenue_over_the_payment_terms_sets_the_limit_when_smaller(policy: LimitPolicy) -> None:
    # C: equity 50,000,000 × 10 % = 5,000,000; revenue 6,000,000 / 12 × 30/30 × 30 % = 150,000.
    result = recommend(
        policy, statement("C", equity=50_000_000, revenue=6_000_000, terms=30), today=TODAY
    )
    assert result.amount == 150_000 * YUAN
    assert result.basis == "revenue"
    assert result.risk_class == "medium"


def test_missing_payment_terms_use_the_policy_default_of_thirty_days(
    policy: LimitPolicy,
) -> None:
    result = recommend(
        policy, statement("C", equity=50_000_000, revenue=6_000_000, terms=None), today=TODAY
    )
    assert result.amount == 150_000 * YUAN


def test_the_grade_cap_bounds_a_large_customer(policy: LimitPolicy) -> None:
    # A: 20 % of 1,000,000,000 = 200,000,000 and the revenue base are both above the 50 M cap.
    result = recommend(
        policy, statement("A", equity=1_000_000_000, revenue=2_000_000_000), today=TODAY
    )
    assert result.amount == 50_000_000 * YUAN
    assert result.basis == "cap"


def test_negative_equity_floors_the_recommendation_at_zero(policy: LimitPolicy) -> None:
    result = recommend(policy, statement("B", equity=-2_000_000, revenue=12_000_000), today=TODAY)
    assert result.amount == 0
    assert result.basis == "equity"


def test_grade_e_gets_nothing_whatever_the_financials(policy: LimitPolicy) -> None:
    result = recommend(policy, statement("E", equity=90_000_000, revenue=90_000_000), today=TODAY)
    assert result.amount == 0
    assert result.risk_class == "high"


def test_without_a_statement_grades_a_to_c_get_only_the_starter_limit(
    policy: LimitPolicy,
) -> None:
    for grade, starter in (("A", 500_000), ("B", 300_000), ("C", 100_000), ("D", 0)):
        result = recommend(policy, LimitInputs(grade=grade), today=TODAY)
        assert result.amount == starter * YUAN, grade
        assert result.basis == "starter"
        assert result.reasons[1].key == "no_statement"


def test_a_statement_older_than_the_policy_allows_counts_as_none(policy: LimitPolicy) -> None:
    old = LimitInputs(
        grade="A",
        statement_period_end=date(2023, 12, 31),
        statement_currency="CNY",
        equity=100_000_000 * YUAN,
        revenue=100_000_000 * YUAN,
    )
    result = recommend(policy, old, today=TODAY)
    assert result.amount == 500_000 * YUAN
    assert [line.key for line in result.reasons][1] == "stale_statement"


def test_a_statement_in_another_currency_is_not_used(policy: LimitPolicy) -> None:
    usd = LimitInputs(
        grade="B",
        statement_period_end=date(2025, 12, 31),
        statement_currency="USD",
        equity=100_000_000,
    )
    result = recommend(policy, usd, today=TODAY)
    assert result.basis == "starter"
    assert result.reasons[1].key == "statement_currency"


def test_an_unrated_customer_gets_no_recommendation_and_the_unrated_class(
    policy: LimitPolicy,
) -> None:
    result = recommend(policy, LimitInputs(grade=None), today=TODAY)
    assert result.amount == 0
    assert result.risk_class == "unrated"
    assert [line.key for line in result.reasons] == ["unrated"]


@pytest.mark.parametrize(
    ("amount", "step", "rounded"),
    [(64_500_000, 1_000_000, 65_000_000), (64_499_999, 1_000_000, 64_000_000), (5, 1, 5)],
)
def test_rounding_to_the_step_is_half_up(amount: int, step: int, rounded: int) -> None:
    assert round_to_step(amount, step) == rounded


def test_risk_classes_follow_the_grades(policy: LimitPolicy) -> None:
    assert [policy.risk_class(grade) for grade in ("A", "B", "C", "D", "E", None)] == [
        "low",
        "low",
        "medium",
        "high",
        "high",
        "unrated",
    ]


@pytest.mark.parametrize(
    ("yuan", "grade", "tier", "approvals"),
    [
        (1_000_000, "A", "analyst", 1),
        (1_000_001, "A", "manager", 1),
        (10_000_000, "C", "manager", 1),
        (10_000_001, "B", "committee", 2),
        (50_000, "D", "committee", 2),
        (50_000, "E", "committee", 2),
        (50_000, None, "committee", 2),
    ],
)
def test_tiers_follow_the_amount_and_the_grade(
    policy: LimitPolicy, yuan: int, grade: str | None, tier: str, approvals: int
) -> None:
    found = policy.tier_for(yuan * YUAN, grade)
    assert (found.name, found.approvals) == (tier, approvals)


def test_the_analyst_tier_admits_analysts_and_the_committee_only_managers_and_admins(
    policy: LimitPolicy,
) -> None:
    assert "credit_analyst" in policy.tier_for(100 * YUAN, "A").roles
    assert policy.tier_for(20_000_000 * YUAN, "A").roles == {"risk_manager", "admin"}


def facts(**overrides: object) -> BlockFacts:
    values: dict[str, object] = {
        "customer_id": 1,
        "grade": "B",
        "exposure": 0,
        "limit": None,
        "overdue": 0,
        "oldest_days_past_due": 0,
    }
    values.update(overrides)
    return BlockFacts(**values)  # type: ignore[arg-type]


def test_overdue_rule_fires_at_sixty_days_above_the_tolerance(policy: LimitPolicy) -> None:
    fired = firing_rules(policy, facts(oldest_days_past_due=60, overdue=1_000_01))
    assert [found.rule.name for found in fired] == ["overdue_60_days"]


def test_overdue_rule_ignores_a_residue_within_the_tolerance(policy: LimitPolicy) -> None:
    assert firing_rules(policy, facts(oldest_days_past_due=200, overdue=1_000_00)) == ()
    assert firing_rules(policy, facts(oldest_days_past_due=59, overdue=90_000_00)) == ()


def test_grade_e_rule_fires_for_grade_e_only(policy: LimitPolicy) -> None:
    assert [f.rule.name for f in firing_rules(policy, facts(grade="E"))] == ["grade_e"]
    assert firing_rules(policy, facts(grade="D")) == ()


def test_limit_rule_fires_only_beyond_the_tolerance(policy: LimitPolicy) -> None:
    # limit 100,000 + 10 % = 110,000 allowed
    assert firing_rules(policy, facts(limit=100_000_00, exposure=110_000_00)) == ()
    fired = firing_rules(policy, facts(limit=100_000_00, exposure=110_000_01))
    assert [f.rule.name for f in fired] == ["limit_exceeded"]
    assert fired[0].values["allowed"] == 110_000_00
    assert firing_rules(policy, facts(limit=None, exposure=10**12)) == ()


def test_reason_lines_read_in_both_languages() -> None:
    values = {"equity": 4_300_000_00, "share": Decimal("0.15"), "amount": 645_000_00}
    assert messages.text("equity_base", values, "CNY", "en") == (
        "Equity 4,300,000.00 × 15% = 645,000.00."
    )
    assert "4,300,000.00" in messages.text("equity_base", values, "CNY", "zh_CN")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("equity_share: 0.20", "equity_share: 1.5"), "grades.A.equity_share"),
        (('cap: "50000000"', 'cap: "-1"'), "grades.A.cap"),
        (("approvals: 2", "approvals: 3"), "approvals must be 1 or 2"),
        (
            ("[risk_manager, admin]\n    approvals: 2", "[risk_manager, boss]\n    approvals: 2"),
            "unknown role boss",
        ),
        (("max_amount: null", 'max_amount: "99"'), "no tier without max_amount"),
        (("condition: grade", "condition: weather"), "condition must be one of"),
    ],
)
def test_a_malformed_policy_names_the_place(change: tuple[str, str], message: str) -> None:
    text = shipped_yaml().replace(*change, 1)
    assert text != shipped_yaml()
    with pytest.raises(PolicyError, match=message):
        LimitPolicy.from_yaml(text)
