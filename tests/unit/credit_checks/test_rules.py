"""The check engine on hand-built facts: each step's pass / warn / block, the fairness rules,
the decision, and rule-set validation. Amounts are minor units (fen): 1_000_000 = ¥10,000.00."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from fengkong.credit_checks.configs import shipped_yaml
from fengkong.credit_checks.rules import (
    BlockFact,
    CheckFacts,
    RuleSet,
    RuleSetError,
    Step,
    StepKind,
    StepResult,
    check,
    decide,
    evaluate,
)
from fengkong.credit_checks.status import Decision, Stage, StepOutcome

DAY = date(2026, 6, 30)
BASE = CheckFacts(
    currency="CNY",
    stage=Stage.ORDER,
    as_of=DAY,
    order_amount=1_500_000,
    exposure_before=8_000_000,
    limit=10_000_000,
    open_receivables=6_000_000,
    open_orders=2_000_000,
)


def one(kind: StepKind, facts: CheckFacts, on_fail: str = "block", **params: object) -> StepResult:
    rule_set = RuleSet.from_mapping(
        {
            "name": "t",
            "stages": ["order", "delivery"],
            "classes": {"unrated": [{"step": kind.value, "on_fail": on_fail, **params}]},
        }
    )
    (result,) = evaluate(rule_set.steps_for("unrated"), facts)
    return result


def test_an_order_within_the_limit_passes_and_one_beyond_it_is_blocked_with_the_excess() -> None:
    within = one(StepKind.STATIC_LIMIT, BASE)
    beyond = one(StepKind.STATIC_LIMIT, replace(BASE, order_amount=2_500_000))

    assert within.outcome is StepOutcome.PASS
    assert beyond.outcome is StepOutcome.BLOCK
    assert beyond.reason_code == "limit_exceeded"
    assert beyond.values["excess"] == 500_000
    assert beyond.values["exposure_after"] == 10_500_000


def test_the_limit_tolerance_lets_a_small_excess_through() -> None:
    facts = replace(BASE, order_amount=2_050_000)  # ¥500 over the limit
    assert one(StepKind.STATIC_LIMIT, facts, tolerance=1000).outcome is StepOutcome.PASS
    assert one(StepKind.STATIC_LIMIT, facts, tolerance=100).outcome is StepOutcome.BLOCK


def test_a_customer_without_a_limit_is_blocked_unless_the_step_says_pass() -> None:
    facts = replace(BASE, limit=None)
    assert one(StepKind.STATIC_LIMIT, facts).outcome is StepOutcome.BLOCK
    assert one(StepKind.STATIC_LIMIT, facts, no_limit="pass").outcome is StepOutcome.PASS


def test_the_maximum_order_value_is_in_major_units_of_the_rule_sets_currency() -> None:
    assert one(StepKind.MAX_ORDER_VALUE, BASE, max_amount=15000).outcome is StepOutcome.PASS
    result = one(StepKind.MAX_ORDER_VALUE, BASE, on_fail="warn", max_amount=14999.99)
    assert result.outcome is StepOutcome.WARN
    assert result.values == {"order_amount": 1_500_000, "max_amount": 1_499_999}


def test_the_dynamic_limit_ignores_exposure_and_orders_due_beyond_its_horizon() -> None:
    facts = replace(
        BASE,
        order_amount=2_500_000,
        beyond_horizon={30: 3_000_000},
        order_due_on=date(2026, 9, 1),
    )
    result = one(StepKind.DYNAMIC_LIMIT, facts, horizon_days=30)
    assert result.outcome is StepOutcome.PASS
    assert result.values["horizon_exposure"] == 5_000_000
    soon = replace(facts, order_due_on=date(2026, 7, 15), beyond_horizon={30: 0})
    blocked = one(StepKind.DYNAMIC_LIMIT, soon, horizon_days=30)
    assert blocked.outcome is StepOutcome.BLOCK
    assert blocked.values["horizon_exposure"] == 10_500_000


def test_a_tiny_old_residue_does_not_fail_the_oldest_open_item() -> None:
    residue = replace(BASE, overdue=50_000, oldest_days_past_due=90)  # ¥500 for 90 days
    material = replace(BASE, overdue=200_000, oldest_days_past_due=90)
    params: dict[str, Any] = {"max_days": 30, "min_amount": 1000}
    assert one(StepKind.OLDEST_OPEN_ITEM, residue, **params).outcome is StepOutcome.PASS
    assert one(StepKind.OLDEST_OPEN_ITEM, material, **params).outcome is StepOutcome.BLOCK


def test_a_promise_to_pay_softens_the_overdue_rules() -> None:
    overdue = replace(
        BASE, overdue=2_000_000, overdue_weighted=2_000_000 * 40, oldest_days_past_due=40
    )
    promised = replace(overdue, promised=1_900_000)
    params: dict[str, Any] = {"max_days": 30, "min_amount": 2000}
    assert one(StepKind.OLDEST_OPEN_ITEM, overdue, **params).outcome is StepOutcome.BLOCK
    # ¥19,000 of the ¥20,000 is promised: ¥1,000 is left, below the ¥2,000 minimum.
    assert one(StepKind.OLDEST_OPEN_ITEM, promised, **params).outcome is StepOutcome.PASS
    assert promised.effective_overdue == 100_000
    assert promised.effective_overdue_weighted == 100_000 * 40


def test_the_overdue_share_weighs_amount_by_age_and_has_a_tolerance() -> None:
    # ¥6,000 of ¥60,000 receivables overdue (10%): 10 days late → weighted 10% × 10/30 = 0.0333.
    fresh = replace(BASE, overdue=600_000, overdue_weighted=600_000 * 10)
    # The same 10% but 90 days late → weighted 0.3.
    stale = replace(BASE, overdue=600_000, overdue_weighted=600_000 * 90)
    params: dict[str, Any] = {"max_share": 0.25, "max_weighted_share": 0.2}
    fresh_result = one(StepKind.OVERDUE_SHARE, fresh, **params)
    stale_result = one(StepKind.OVERDUE_SHARE, stale, **params)
    assert fresh_result.outcome is StepOutcome.PASS
    assert fresh_result.values["share"] == 0.1
    assert fresh_result.values["weighted_share"] == 0.0333
    assert stale_result.outcome is StepOutcome.BLOCK
    assert stale_result.values["weighted_share"] == 0.3
    tolerant = one(StepKind.OVERDUE_SHARE, stale, tolerance=6000, **params)
    assert tolerant.outcome is StepOutcome.PASS


def test_disputed_receivables_are_left_out_of_the_overdue_share_base() -> None:
    # ¥6,000 overdue (undisputed) of ¥60,000 receivables, of which ¥30,000 disputed: 20%.
    facts = replace(BASE, overdue=600_000, disputed=3_000_000)
    result = one(StepKind.OVERDUE_SHARE, facts, max_share=0.15)
    assert result.values["share"] == 0.2
    assert result.outcome is StepOutcome.BLOCK


def test_dunning_level_and_payment_behaviour_fail_above_their_maximum() -> None:
    assert (
        one(StepKind.DUNNING_LEVEL, replace(BASE, dunning_level=2), max_level=2).outcome
        is StepOutcome.PASS
    )
    assert (
        one(StepKind.DUNNING_LEVEL, replace(BASE, dunning_level=3), max_level=2).outcome
        is StepOutcome.BLOCK
    )
    late = one(StepKind.PAYMENT_BEHAVIOUR, replace(BASE, days_late=12.34), max_days_late=10)
    assert (late.outcome, late.values["days_late"]) == (StepOutcome.BLOCK, 12.3)
    unknown = one(StepKind.PAYMENT_BEHAVIOUR, BASE, max_days_late=10)
    assert (unknown.outcome, unknown.reason_code) == (StepOutcome.PASS, "payment_behaviour_ok")


def test_stop_shipping_lets_orders_be_taken_but_holds_deliveries_and_a_credit_block_holds_all() -> (
    None
):
    stop = BlockFact(kind="stop_shipping", reason="60+ dpd", source="rule:overdue_60")
    block = BlockFact(kind="credit_block", reason="manual", source="manual")
    order_stage = replace(BASE, blocks=(stop,))
    delivery_stage = replace(BASE, blocks=(stop,), stage=Stage.DELIVERY)
    assert one(StepKind.BLOCKS, order_stage, on_fail="reject").outcome is StepOutcome.PASS
    assert one(StepKind.BLOCKS, delivery_stage, on_fail="reject").outcome is StepOutcome.REJECT
    assert one(StepKind.BLOCKS, replace(BASE, blocks=(block,))).outcome is StepOutcome.BLOCK


def test_any_reject_rejects_any_block_holds_and_warnings_still_approve() -> None:
    steps = [
        Step(StepKind.MAX_ORDER_VALUE, StepOutcome.WARN, {"max_amount": 1}),
        Step(StepKind.STATIC_LIMIT, StepOutcome.BLOCK, {"tolerance": 0, "no_limit": "block"}),
    ]
    warned = evaluate(steps, BASE)
    assert [r.outcome for r in warned] == [StepOutcome.WARN, StepOutcome.PASS]
    assert decide(warned) is Decision.APPROVE
    held = evaluate(steps, replace(BASE, order_amount=9_000_000))
    assert decide(held) is Decision.HOLD
    steps.append(Step(StepKind.BLOCKS, StepOutcome.REJECT, {"stop_shipping_from": "delivery"}))
    rejected = evaluate(steps, replace(BASE, blocks=(BlockFact("credit_block", "x", "manual"),)))
    assert decide(rejected) is Decision.REJECT


def test_a_stage_the_rule_set_does_not_check_is_approved_without_steps() -> None:
    rule_set = RuleSet.from_yaml(shipped_yaml())
    verdict = check(rule_set, "high", replace(BASE, stage=Stage.QUOTATION, order_amount=99_000_000))
    assert (verdict.decision, verdict.results, verdict.checked) == (Decision.APPROVE, (), False)


def test_a_step_limited_to_some_stages_runs_only_there() -> None:
    rule_set = RuleSet.from_mapping(
        {
            "name": "t",
            "stages": ["order", "delivery"],
            "classes": {
                "unrated": [{"step": "max_order_value", "max_amount": 1, "stages": ["delivery"]}]
            },
        }
    )
    assert check(rule_set, "unrated", BASE).decision is Decision.APPROVE
    delivery = replace(BASE, stage=Stage.DELIVERY)
    assert check(rule_set, "unrated", delivery).decision is Decision.HOLD


def test_the_shipped_rule_set_is_stricter_the_riskier_the_class() -> None:
    rule_set = RuleSet.from_yaml(shipped_yaml())
    facts = replace(
        BASE, overdue=1_000_000, overdue_weighted=1_000_000 * 40, oldest_days_past_due=40
    )
    assert check(rule_set, "low", facts).decision is Decision.APPROVE
    assert check(rule_set, "high", facts).decision is Decision.HOLD
    assert rule_set.horizons == frozenset({30})


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"name": "t", "classes": {"low": []}}, "unrated class is required"),
        ({"name": "t", "classes": {"vip": [], "unrated": []}}, "unknown risk class 'vip'"),
        ({"name": "t", "classes": {"unrated": [{"step": "magic"}]}}, "unknown step 'magic'"),
        (
            {"name": "t", "classes": {"unrated": [{"step": "max_order_value"}]}},
            "max_amount: required",
        ),
        (
            {"name": "t", "classes": {"unrated": [{"step": "overdue_share", "max_share": 2}]}},
            "a share between 0 and 1",
        ),
        (
            {"name": "t", "classes": {"unrated": [{"step": "blocks", "on_fail": "pass"}]}},
            "pass would never fail",
        ),
        (
            {"name": "t", "classes": {"unrated": [{"step": "blocks", "colour": "red"}]}},
            "unknown parameter(s) ['colour']",
        ),
        ({"name": "t", "stages": ["shipping"], "classes": {"unrated": []}}, "stages"),
    ],
)
def test_an_invalid_rule_set_is_refused_with_the_place_named(
    document: dict[str, object], message: str
) -> None:
    with pytest.raises(RuleSetError, match=re.escape(message)):
        RuleSet.from_mapping(document)
