"""Time in one convention: timestamps are timezone-aware UTC; business dates are plain ``date``."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo


def utcnow() -> datetime:
    return datetime.now(UTC)


def ensure_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment.isoformat()} has no time zone")
    return moment.astimezone(UTC)


def business_today(zone: ZoneInfo) -> date:
    """Today's date where the business is (an invoice due 'today' in Shanghai, not in UTC)."""
    return datetime.now(zone).date()
