"""Ageing of open receivables into days-past-due buckets as of a date. Pure.

An item due on the ageing date itself is not yet past due; one due the day before is 1 day past
due. Buckets: not due, 1–30, 31–60, 61–90 and over 90 days past due.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

NOT_DUE = "not_due"
DPD_1_30 = "dpd_1_30"
DPD_31_60 = "dpd_31_60"
DPD_61_90 = "dpd_61_90"
DPD_90_PLUS = "dpd_90_plus"
BUCKETS: tuple[str, ...] = (NOT_DUE, DPD_1_30, DPD_31_60, DPD_61_90, DPD_90_PLUS)


@dataclass(frozen=True, slots=True)
class OpenItem:
    """What is still owed on one invoice (or on several due the same day), in minor units of
    the credit currency; ``disputed`` is the part under an open dispute (at most
    ``outstanding``)."""

    due_date: date
    outstanding: int
    disputed: int = 0


@dataclass(frozen=True, slots=True)
class Ageing:
    """The open receivables by bucket and the overdue figures the credit check weighs, each
    also without the disputed part (disputes count in exposure, not in overdue rules)."""

    buckets: dict[str, int]
    open_receivables: int
    overdue: int
    overdue_weighted: int
    """Σ amount × days past due over overdue items (minor-unit days)."""
    oldest_days_past_due: int
    disputed: int
    overdue_undisputed: int
    overdue_weighted_undisputed: int
    oldest_days_past_due_undisputed: int


def days_past_due(due_date: date, as_of: date) -> int:
    return max(0, (as_of - due_date).days)


def bucket_of(days: int) -> str:
    if days <= 0:
        return NOT_DUE
    if days <= 30:
        return DPD_1_30
    if days <= 60:
        return DPD_31_60
    if days <= 90:
        return DPD_61_90
    return DPD_90_PLUS


def age(items: Iterable[OpenItem], as_of: date) -> Ageing:
    buckets = dict.fromkeys(BUCKETS, 0)
    total = overdue = weighted = oldest = disputed = 0
    overdue_clean = weighted_clean = oldest_clean = 0
    for item in items:
        if item.outstanding <= 0:
            continue
        contested = min(max(item.disputed, 0), item.outstanding)
        days = days_past_due(item.due_date, as_of)
        buckets[bucket_of(days)] += item.outstanding
        total += item.outstanding
        disputed += contested
        if days > 0:
            overdue += item.outstanding
            weighted += item.outstanding * days
            oldest = max(oldest, days)
            clean = item.outstanding - contested
            if clean > 0:
                overdue_clean += clean
                weighted_clean += clean * days
                oldest_clean = max(oldest_clean, days)
    return Ageing(
        buckets=buckets,
        open_receivables=total,
        overdue=overdue,
        overdue_weighted=weighted,
        oldest_days_past_due=oldest,
        disputed=disputed,
        overdue_undisputed=overdue_clean,
        overdue_weighted_undisputed=weighted_clean,
        oldest_days_past_due_undisputed=oldest_clean,
    )
