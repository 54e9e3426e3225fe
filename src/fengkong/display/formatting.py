"""Locale-aware display of numbers, money, dates and reference codes (the Jinja filters).

One ``Formatter`` per locale keeps every page consistent: money always uses the locale's standard
currency pattern (zh_CN ``¥1,234,567.00``, en ``CN¥1,234,567.00``) and dates the medium pattern
(``2010年5月20日``, ``May 20, 2010``). Timestamps are shown in the deployment's time zone.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale as BabelLocale
from babel.dates import format_date, format_time, get_datetime_format
from babel.numbers import format_currency, format_decimal

from fengkong.kit.money import Money
from fengkong.reference.classifications import UnknownCode, industry_of, region_of
from fengkong.settings import Locale

MISSING = "—"


class Formatter:
    def __init__(self, locale: Locale, zone: ZoneInfo) -> None:
        self.locale = locale
        self.zone = zone
        # Parsed once: babel parses a locale name on every call (a format_currency costs half a
        # millisecond that way), which a page of a hundred amounts and dates feels.
        self.babel = BabelLocale.parse(locale)

    def number(self, value: int | Decimal | None) -> str:
        if value is None:
            return MISSING
        return str(format_decimal(value, locale=self.babel))

    def money(self, value: Money | None) -> str:
        if value is None:
            return MISSING
        return str(format_currency(value.amount, value.currency, locale=self.babel))

    def date(self, value: date | None) -> str:
        if value is None:
            return MISSING
        if isinstance(value, datetime):
            value = value.astimezone(self.zone).date()
        return str(format_date(value, "medium", locale=self.babel))

    def datetime(self, value: datetime | None) -> str:
        """Date and minutes in the business time zone; seconds add noise to a record's history."""
        if value is None:
            return MISSING
        local = value.astimezone(self.zone)
        pattern = str(get_datetime_format("medium", locale=self.babel)).replace("'", "")
        return pattern.format(
            format_time(local, "short", locale=self.babel),
            format_date(local, "medium", locale=self.babel),
        )

    def industry(self, code: str | None) -> str:
        """The GB/T 4754 section's name in this language, or the bare code if it is unknown."""
        if not code:
            return MISSING
        try:
            return industry_of(code).name(self.locale)
        except UnknownCode:
            return code

    def region(self, code: str | None) -> str:
        """The most specific GB/T 2260 region name known, or the bare code if it is unknown."""
        if not code:
            return MISSING
        try:
            return region_of(code).name(self.locale)
        except UnknownCode:
            return code

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {
            "number": self.number,
            "money": self.money,
            "date": self.date,
            "datetime": self.datetime,
            "industry": self.industry,
            "region": self.region,
        }
