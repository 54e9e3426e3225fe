from __future__ import annotations

from datetime import date

import pytest

from fengkong.quality.rules import (
    KEY_FIELDS,
    Flags,
    Issue,
    KeyField,
    Thresholds,
    is_stale,
    months_before,
)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 11, 26), 18, date(2025, 5, 26)),
        (date(2026, 11, 26), 12, date(2025, 11, 26)),
        (date(2026, 8, 31), 18, date(2025, 2, 28)),
        (date(2028, 8, 31), 6, date(2028, 2, 29)),
        (date(2026, 1, 15), 1, date(2025, 12, 15)),
    ],
)
def test_months_before_counts_calendar_months_and_clamps_to_the_month_end(
    day: date, months: int, expected: date
) -> None:
    assert months_before(day, months) == expected


def test_data_exactly_at_the_cutoff_is_not_yet_stale() -> None:
    cutoff = Thresholds().statement_cutoff(date(2026, 11, 26))
    assert not is_stale(date(2025, 5, 26), cutoff)
    assert is_stale(date(2025, 5, 25), cutoff)
    assert not is_stale(None, cutoff)


def test_the_score_is_the_share_of_key_fields_present_and_issues_name_what_is_wrong() -> None:
    flags = Flags(
        complete=frozenset(KEY_FIELDS) - {KeyField.CONTACT, KeyField.USCC_VERIFIED},
        uscc_mismatch=True,
        stale_statement=False,
        stale_report=True,
        unverified_outside_data=True,
    )
    assert flags.score == pytest.approx(0.8)
    assert flags.missing == (KeyField.USCC_VERIFIED, KeyField.CONTACT)
    assert flags.issues == (
        Issue.MISSING_CONTACT,
        Issue.USCC_MISMATCH,
        Issue.STALE_REPORT,
        Issue.UNVERIFIED_OUTSIDE_DATA,
    )


def test_an_unverified_uscc_is_its_own_issue() -> None:
    flags = Flags(frozenset(KEY_FIELDS) - {KeyField.USCC_VERIFIED}, False, False, False, False)
    assert flags.issues == (Issue.USCC_UNVERIFIED,)
