from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from fengkong.scoring.features.external import rating_ordinal
from tests.unit.scoring.ledger_builders import build, customer, features, legal_event, report

EXTERNAL = ("legal_events_24m", "legal_amount_24m", "enforcement_flag", "dishonest_debtor_flag")


@pytest.mark.parametrize(
    ("rating", "ordinal"),
    [
        ("AAA", 1.0), ("AA+", 5 / 3), ("AA", 2.0), ("AA-", 7 / 3), ("A", 3.0), ("BBB-", 13 / 3),
        ("BB+", 14 / 3), ("B-", 19 / 3), ("CCC+", 20 / 3), ("CCC", 7.0), ("CC", 8.0), ("C", 9.0),
        ("D", 10.0), (" aa+ ", 5 / 3), ("AA＋", 5 / 3), ("BBB－", 13 / 3), ("A−", 10 / 3),
        ("AAA+", None), ("CC-", None), ("D+", None), ("A-1", None), ("5A1", None), ("", None),
        (None, None),
    ],
)  # fmt: skip
def test_ratings_map_to_grade_steps_from_aaa_1_to_d_10_with_a_third_per_modifier(
    rating: str | None, ordinal: float | None
) -> None:
    frame = pl.DataFrame({"rating": [rating]}, schema={"rating": pl.String})
    assert frame.select(rating_ordinal(pl.col("rating")))["rating"].to_list() == [
        pytest.approx(ordinal) if ordinal is not None else None
    ]


def test_the_latest_rating_and_its_change_against_the_same_agency_s_previous_one() -> None:
    values = features(
        build(
            report("中诚信国际", date(2025, 3, 1), "AA"),
            report("大公国际", date(2025, 9, 1), "A"),
            report("中诚信国际", date(2026, 3, 1), "A+"),  # 2 → 2⅔: two notches down
            report("中诚信国际", date(2026, 7, 1), "BB"),  # after as_of
        )
    )
    assert values["agency_rating_ordinal"] == pytest.approx(8 / 3)
    assert values["agency_rating_change"] == pytest.approx(2 / 3)


def test_on_one_day_the_worst_agency_counts_and_a_first_rating_has_no_change() -> None:
    values = features(
        build(
            report("中诚信国际", date(2026, 3, 1), "AA"),
            report("大公国际", date(2026, 3, 1), "BBB"),
        )
    )
    assert values["agency_rating_ordinal"] == 4.0
    assert values["agency_rating_change"] is None


def test_reports_without_a_known_rating_are_skipped() -> None:
    values = features(
        build(
            report("Dun & Bradstreet", date(2026, 5, 1), "5A1", score=80),
            report("中诚信国际", date(2026, 1, 1), None),
            report("中诚信国际", date(2025, 1, 1), "AA-"),
        )
    )
    assert values["agency_rating_ordinal"] == pytest.approx(7 / 3)
    assert values["agency_rating_change"] is None


def test_a_customer_without_ratings_has_them_missing() -> None:
    values = features(build(report("中诚信国际", date(2026, 9, 1), "AAA")))
    assert values["agency_rating_ordinal"] is None
    assert values["agency_rating_change"] is None


def test_legal_events_count_and_sum_over_24_months_ending_at_as_of() -> None:
    values = features(
        build(
            legal_event("lawsuit", date(2026, 6, 30), amount=100_000),  # on as_of: counted
            legal_event("judgment", date(2024, 7, 1), amount=50_000),
            legal_event("lawsuit", date(2025, 1, 1)),  # amount unknown: counted, not summed
            legal_event("lawsuit", date(2024, 6, 30), amount=1e6),  # 24 months ago: excluded
            legal_event("lawsuit", date(2026, 7, 1), amount=1e6),  # after as_of
        )
    )
    assert {name: values[name] for name in EXTERNAL} == {
        "legal_events_24m": 3.0,
        "legal_amount_24m": 150_000.0,
        "enforcement_flag": 0.0,
        "dishonest_debtor_flag": 0.0,
    }


def test_the_legal_amount_is_missing_when_no_event_in_the_window_has_a_known_amount() -> None:
    values = features(build(legal_event("lawsuit", date(2026, 1, 1))))
    assert values["legal_events_24m"] == 1.0
    assert values["legal_amount_24m"] is None


def test_a_customer_absent_from_the_legal_register_has_no_events_and_no_flags() -> None:
    values = features(build(customer(1), legal_event("lawsuit", date(2026, 1, 1), customer_id=2)))
    assert {name: values[name] for name in EXTERNAL} == dict.fromkeys(EXTERNAL, 0.0)


def test_enforcement_flags_stay_up_until_the_event_is_resolved_however_old() -> None:
    values = features(
        build(
            legal_event("dishonest_debtor", date(2022, 1, 1)),  # old, still listed
            legal_event("enforcement", date(2026, 1, 1), resolved_on=date(2026, 7, 15)),
        )
    )
    assert values["enforcement_flag"] == 1.0
    assert values["dishonest_debtor_flag"] == 1.0
    assert values["legal_events_24m"] == 1.0


@pytest.mark.parametrize(
    ("event_type", "resolved_on", "enforcement", "dishonest"),
    [
        ("enforcement", date(2026, 6, 30), 0.0, 0.0),  # resolved on as_of
        ("enforcement", date(2026, 7, 1), 1.0, 0.0),  # resolved only after as_of
        ("enforcement", None, 1.0, 0.0),
        ("dishonest_debtor", None, 1.0, 1.0),
        ("dishonest_debtor", date(2026, 3, 1), 0.0, 0.0),
        ("lawsuit", None, 0.0, 0.0),
        ("asset_freeze", None, 0.0, 0.0),
    ],
)
def test_flags_follow_the_event_type_and_whether_it_is_resolved_at_as_of(
    event_type: str, resolved_on: date | None, enforcement: float, dishonest: float
) -> None:
    values = features(build(legal_event(event_type, date(2026, 1, 1), resolved_on=resolved_on)))
    assert values["enforcement_flag"] == enforcement
    assert values["dishonest_debtor_flag"] == dishonest
