"""The review cadence: parsing, months per grade and the due-date arithmetic."""

from __future__ import annotations

from datetime import date

import pytest

from fengkong.reviews.cadence import Cadence, CadenceError, add_months
from fengkong.reviews.service import shipped_yaml


def test_the_shipped_cadence_reviews_a_yearly_and_e_monthly_and_unrated_half_yearly() -> None:
    cadence = Cadence.from_yaml(shipped_yaml())
    assert {g: cadence.months_for(g) for g in "ABCDE"} == {"A": 12, "B": 12, "C": 6, "D": 3, "E": 1}
    assert cadence.months_for(None) == 6
    assert cadence.months_for("Z") == 6
    assert [item.key for item in cadence.checklist] == [
        "financials_updated",
        "credit_report_pulled",
        "limit_reassessed",
        "visit_or_call_notes",
    ]


def test_the_next_due_day_adds_calendar_months_and_clips_to_the_month_end() -> None:
    cadence = Cadence.from_yaml(shipped_yaml())
    assert cadence.next_due("C", date(2026, 8, 31)) == date(2027, 2, 28)
    assert cadence.next_due("E", date(2026, 12, 15)) == date(2027, 1, 15)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        (
            "name: x\nmonths_by_grade: {A: 0}\nunrated_months: 6\nchecklist: [{key: a, label: A}]",
            "months_by_grade.A",
        ),
        ("name: x\nmonths_by_grade: {A: 12}\nchecklist: [{key: a, label: A}]", "unrated_months"),
        ("name: x\nmonths_by_grade: {A: 12}\nunrated_months: 6\nchecklist: []", "checklist"),
        (
            "name: x\nmonths_by_grade: {A: 12}\nunrated_months: 6\n"
            "checklist: [{key: a, label: A}, {key: a, label: B}]",
            "checklist",
        ),
    ],
)
def test_an_invalid_cadence_is_refused_naming_the_field(text: str, field: str) -> None:
    with pytest.raises(CadenceError, match=field):
        Cadence.from_yaml(text)
