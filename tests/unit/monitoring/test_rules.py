"""Every rule kind on hand-built histories: the level it gives and the values explaining it."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from importlib.resources import files
from typing import Any

import pytest

from fengkong.monitoring.rules import (
    AgencyRating,
    CustomerFacts,
    LegalFact,
    RelatedFact,
    Rule,
    RuleError,
    ScorePoint,
    Severity,
    evaluate,
    parse_rule,
    parse_rule_set,
    parse_single_rule,
)

TODAY = date(2026, 6, 30)
BASE = CustomerFacts(
    customer_id=1, as_of=TODAY, grade="B", industry_code="F51", region_code="310115"
)


def rule(**fields: Any) -> Rule:
    document = {"id": "r1", "title": "test rule", "severity": "high", **fields}
    return parse_rule(document)


def days_ago(days: int) -> date:
    return TODAY - timedelta(days=days)


def test_the_shipped_rule_set_parses_with_twenty_one_rules_and_round_trips_through_yaml() -> None:
    text = files("fengkong.monitoring").joinpath("defaults/rules.yaml").read_text("utf-8")
    rule_set = parse_rule_set(text)
    assert len(rule_set.rules) == 21
    assert {r.kind.value for r in rule_set.rules} == {
        "threshold",
        "change",
        "anomaly",
        "event",
        "staleness",
        "contagion",
    }
    assert parse_rule_set(rule_set.to_yaml()) == rule_set
    assert rule_set.sla_hours[Severity.CRITICAL] == 4


@pytest.mark.parametrize(
    ("metric", "value", "facts", "level"),
    [
        ("days_past_due", 30, {"days_past_due": 31}, 1),
        ("days_past_due", 30, {"days_past_due": 30}, 0),
        ("debt_to_asset", 0.8, {"debt_to_asset": 0.81}, 1),
        ("debt_to_asset", 0.8, {"debt_to_asset": None}, 0),
        ("overdue_amount", 100_000_00, {"overdue_amount": 100_000_01}, 1),
        ("limit_utilisation", 0.9, {"limit_utilisation": 0.95}, 1),
        ("limit_utilisation", 0.9, {"limit_utilisation": 0.5}, 0),
    ],
)
def test_a_threshold_rule_fires_strictly_above_its_value(
    metric: str, value: float, facts: dict[str, Any], level: int
) -> None:
    result = evaluate(rule(kind="threshold", metric=metric, value=value), replace(BASE, **facts))
    assert result.level == level
    assert result.values["threshold"] == value


def test_a_score_drop_of_fifty_points_within_thirty_days_fires_and_an_older_one_does_not() -> None:
    drop = rule(kind="change", metric="score_drop", points=50, within_days=30)
    recent = (ScorePoint(days_ago(20), 640.0, "B"), ScorePoint(days_ago(1), 585.0, "C"))
    result = evaluate(drop, replace(BASE, scores=recent))
    assert (result.level, result.values["drop"]) == (1, 55.0)
    old = (ScorePoint(days_ago(60), 640.0, "B"), ScorePoint(days_ago(1), 585.0, "C"))
    assert evaluate(drop, replace(BASE, scores=old)).level == 0
    small = (ScorePoint(days_ago(20), 640.0, "B"), ScorePoint(days_ago(1), 600.0, "B"))
    assert evaluate(drop, replace(BASE, scores=small)).level == 0


def test_a_grade_downgrade_fires_by_notches_and_an_upgrade_does_not() -> None:
    one = rule(kind="change", metric="grade_downgrade", within_days=90, notches=1)
    two = rule(kind="change", metric="grade_downgrade", within_days=90, notches=2)
    down = (ScorePoint(days_ago(40), 700.0, "B"), ScorePoint(days_ago(2), 600.0, "C"))
    assert evaluate(one, replace(BASE, scores=down)).values == {
        "grade": "C",
        "previous_best": "B",
        "notches": 1,
    }
    assert evaluate(one, replace(BASE, scores=down)).level == 1
    assert evaluate(two, replace(BASE, scores=down)).level == 0
    up = (ScorePoint(days_ago(40), 600.0, "C"), ScorePoint(days_ago(2), 700.0, "B"))
    assert evaluate(one, replace(BASE, scores=up)).level == 0


def test_an_agency_rating_downgrade_compares_each_agencys_last_two_reports() -> None:
    downgrade = rule(kind="change", metric="agency_rating_downgrade")
    ratings = (
        AgencyRating("中诚信", days_ago(200), "AA"),
        AgencyRating("中诚信", days_ago(10), "A+"),
        AgencyRating("大公", days_ago(10), "BBB"),
    )
    result = evaluate(downgrade, replace(BASE, agency_ratings=ratings))
    assert result.level == 1
    assert result.values == {"agency": "中诚信", "previous": "AA", "rating": "A+"}
    recent_only = rule(kind="change", metric="agency_rating_downgrade", within_days=5)
    assert evaluate(recent_only, replace(BASE, agency_ratings=ratings)).level == 0
    upgraded = (
        AgencyRating("中诚信", days_ago(200), "A"),
        AgencyRating("中诚信", days_ago(1), "A+"),
    )
    assert evaluate(downgrade, replace(BASE, agency_ratings=upgraded)).level == 0


def test_an_order_anomaly_fires_beyond_three_standard_deviations_of_the_own_baseline() -> None:
    count = rule(kind="anomaly", metric="order_count", sd=3, min_baseline=2)
    baseline = ((10, 0), (12, 0), (11, 0), (9, 0), (10, 0), (11, 0))
    normal = evaluate(count, replace(BASE, orders_last_30=(11, 0), orders_baseline=baseline))
    assert normal.level == 0
    collapse = evaluate(count, replace(BASE, orders_last_30=(1, 0), orders_baseline=baseline))
    assert collapse.level == 1
    assert collapse.values["mean"] == 10.5
    thin = ((1, 0), (0, 0), (1, 0), (0, 0), (1, 0), (0, 0))
    assert evaluate(count, replace(BASE, orders_last_30=(9, 0), orders_baseline=thin)).level == 0
    amount = rule(kind="anomaly", metric="order_amount", sd=3)
    money = tuple((1, value) for value in (100, 110, 90, 105, 95, 100))
    assert (
        evaluate(amount, replace(BASE, orders_last_30=(1, 400), orders_baseline=money)).level == 1
    )


def test_dso_jump_and_payment_days_drift_compare_recent_with_before() -> None:
    dso = rule(kind="anomaly", metric="dso_jump", days=20)
    assert evaluate(dso, replace(BASE, dso_recent=75.0, dso_before=50.0)).level == 1
    assert evaluate(dso, replace(BASE, dso_recent=60.0, dso_before=50.0)).level == 0
    assert evaluate(dso, replace(BASE, dso_recent=None, dso_before=50.0)).level == 0
    drift = rule(kind="anomaly", metric="payment_days_drift", days=15)
    result = evaluate(drift, replace(BASE, payment_days_recent=62.0, payment_days_before=40.0))
    assert (result.level, result.values["change"]) == (1, 22.0)


def test_event_rules_fire_on_unresolved_recent_records_over_the_amount() -> None:
    dishonest = rule(kind="event", metric="legal_event", event_types=["dishonest_debtor"])
    events = (LegalFact(7, "dishonest_debtor", days_ago(3), None, None),)
    result = evaluate(dishonest, replace(BASE, legal_events=events))
    assert result.level == 1
    assert result.values["events"] == [7]
    resolved = (LegalFact(7, "dishonest_debtor", days_ago(300), None, days_ago(100)),)
    assert evaluate(dishonest, replace(BASE, legal_events=resolved)).level == 0
    lawsuit = rule(
        kind="event", metric="legal_event", event_types=["lawsuit"], within_days=90, min_amount=500
    )
    small = (LegalFact(1, "lawsuit", days_ago(5), 499, None),)
    large = (LegalFact(2, "lawsuit", days_ago(5), 500, None),)
    old = (LegalFact(3, "lawsuit", days_ago(120), 10_000, None),)
    assert evaluate(lawsuit, replace(BASE, legal_events=small)).level == 0
    assert evaluate(lawsuit, replace(BASE, legal_events=large)).level == 1
    assert evaluate(lawsuit, replace(BASE, legal_events=old)).level == 0


def test_staleness_fires_after_fifteen_months_without_a_statement_or_with_none() -> None:
    stale = rule(kind="staleness", metric="statement_age", months=15)
    assert evaluate(stale, replace(BASE, statement_period_end=date(2025, 2, 28))).level == 1
    exactly = evaluate(stale, replace(BASE, statement_period_end=date(2025, 3, 31)))
    assert (exactly.level, exactly.values["months"]) == (0, 15)
    assert evaluate(stale, replace(BASE, statement_period_end=date(2025, 12, 31))).level == 0
    assert evaluate(stale, BASE).values["latest_period_end"] is None
    assert evaluate(stale, BASE).level == 1
    review = rule(kind="staleness", metric="review_overdue", days=0)
    assert evaluate(review, BASE).level == 0  # no open review past its due day
    assert evaluate(review, replace(BASE, review_due_on=days_ago(1))).level == 1


def test_contagion_fires_when_a_related_party_is_graded_e_or_in_default() -> None:
    contagion = rule(kind="contagion", metric="related_party", grades=["E"], default_dpd=90)
    healthy = (RelatedFact(2, "parent", "B", 0),)
    assert evaluate(contagion, replace(BASE, related=healthy)).level == 0
    graded = (RelatedFact(2, "parent", "E", 0),)
    assert evaluate(contagion, replace(BASE, related=graded)).level == 1
    defaulted = (RelatedFact(3, "guarantor", "C", 91),)
    result = evaluate(contagion, replace(BASE, related=defaulted))
    assert result.values["related"] == [
        {"customer_id": 3, "relation": "guarantor", "grade": "C", "days_past_due": 91}
    ]


def test_scope_limits_a_rule_to_grades_industries_and_regions_by_prefix() -> None:
    scoped = rule(
        kind="threshold",
        metric="days_past_due",
        value=0,
        scope={"grades": ["C", "D"], "industries": ["F5"], "regions": ["31"]},
    )
    late = replace(BASE, days_past_due=10)
    assert evaluate(scoped, late).level == 0  # grade B is out of scope
    assert evaluate(scoped, replace(late, grade="C")).level == 1
    assert evaluate(scoped, replace(late, grade="C", region_code="440300")).level == 0
    assert evaluate(scoped, replace(late, grade="C", industry_code="C13")).level == 0


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kind": "threshold", "metric": "days_past_due"}, "value: required"),
        ({"kind": "threshold", "metric": "score_drop", "value": 1}, "metric"),
        ({"kind": "magic", "metric": "x"}, "kind"),
        ({"kind": "threshold", "metric": "days_past_due", "value": -1}, "value"),
        ({"kind": "threshold", "metric": "days_past_due", "value": 1, "bogus": 2}, "bogus"),
        ({"kind": "threshold", "metric": "days_past_due", "value": 1, "actions": ["x"]}, "actions"),
        (
            {
                "kind": "threshold",
                "metric": "days_past_due",
                "value": 1,
                "scope": {"grades": ["F"]},
            },
            "scope.grades",
        ),
    ],
)
def test_an_invalid_rule_is_refused_naming_the_field(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(RuleError, match=message):
        rule(**fields)


def test_a_rule_set_refuses_duplicate_ids_and_bad_sla() -> None:
    one = "{id: a1, kind: staleness, metric: statement_age, months: 15, severity: low, title: t}"
    with pytest.raises(RuleError, match="used twice"):
        parse_rule_set(f"name: x\nrules: [{one}, {one}]")
    with pytest.raises(RuleError, match="sla_hours"):
        parse_rule_set(f"name: x\nsla_hours: {{urgent: 1}}\nrules: [{one}]")
    assert parse_single_rule(one).id == "a1"
