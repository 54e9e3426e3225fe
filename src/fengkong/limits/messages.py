"""Reason lines and block findings as text for a person, in the reader's language. They are kept
as keys with values (amounts in minor units); the text is made where it is shown."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from fengkong.i18n import N_, Message, translations
from fengkong.kit.money import currency_exponent
from fengkong.settings import Locale

_TEMPLATES: dict[str, str] = {
    "unrated": N_("The customer has no grade yet: no limit is recommended until it is scored."),
    "grade": N_("Grade %(grade)s, risk class %(risk_class)s."),
    "statement": N_("Latest financial statement: period ending %(period_end)s."),
    "no_statement": N_("No usable financial statement is on file."),
    "stale_statement": N_(
        "The latest statement (period ending %(period_end)s) is older than %(months)s months."
    ),
    "statement_currency": N_(
        "The latest statement is in %(statement_currency)s, not %(currency)s: it is not used."
    ),
    "starter": N_("Without a statement only the starter limit for grade %(grade)s: %(amount)s."),
    "equity_base": N_("Equity %(equity)s × %(share_percent)s = %(amount)s."),
    "no_equity": N_("The statement shows no equity: the equity base is left out."),
    "revenue_base": N_(
        "Revenue %(revenue)s a year ÷ 12 × %(terms_days)s days of payment terms ÷ 30 × "
        "%(share_percent)s = %(amount)s."
    ),
    "no_revenue": N_("The statement shows no revenue: the revenue base is left out."),
    "grade_cap": N_("Cap for grade %(grade)s: %(amount)s."),
    "smallest": N_("The smallest of these is %(amount)s (%(basis_label)s)."),
    "rounded": N_("Rounded half-up to a multiple of %(step)s: %(amount)s."),
    # block findings
    "rule_overdue": N_(
        "Undisputed overdue %(overdue)s, oldest %(days)s days past due (rule: %(min_days)s days, "
        "tolerance %(tolerance)s)."
    ),
    "rule_grade": N_("Grade %(grade)s."),
    "rule_over_limit": N_(
        "Exposure %(exposure)s exceeds the limit %(limit)s plus %(tolerance_percent)s tolerance "
        "(%(allowed)s)."
    ),
}

BASIS_LABELS: dict[str, str] = {
    "equity": N_("share of equity"),
    "revenue": N_("share of revenue over the payment terms"),
    "cap": N_("grade cap"),
    "starter": N_("starter limit"),
    "none": N_("no basis"),
}

_AMOUNT_KEYS = frozenset(
    {"amount", "equity", "revenue", "step", "overdue", "tolerance", "exposure", "limit", "allowed"}
)


def major(amount: int, currency: str) -> str:
    """Minor units as a grouped major-unit amount, ``1,234,500.00``."""
    return f"{Decimal(amount).scaleb(-currency_exponent(currency)):,}"


def message(key: str, values: Mapping[str, Any], currency: str) -> Message:
    params: dict[str, object] = {}
    for name, value in values.items():
        amount = name in _AMOUNT_KEYS and isinstance(value, int) and not isinstance(value, bool)
        params[name] = major(value, currency) if amount else value
    for share_key in ("share", "tolerance_share"):
        if share_key in values:
            percent = f"{(Decimal(str(values[share_key])) * 100).normalize():f}%"
            params[share_key.replace("share", "percent")] = percent
            params["share_percent"] = percent
    if "basis" in values:
        params["basis_label"] = BASIS_LABELS.get(str(values["basis"]), str(values["basis"]))
    return Message(_TEMPLATES.get(key, key), params)


def text(key: str, values: Mapping[str, Any], currency: str, locale: Locale) -> str:
    """The line in ``locale`` (``zh_CN`` or ``en``)."""
    found = message(key, values, currency)
    catalogue = translations(locale)
    params = dict(found.params)
    if "basis_label" in params:
        params["basis_label"] = catalogue.gettext(str(params["basis_label"]))
    rendered = catalogue.gettext(found.msgid)
    return rendered % params if params else rendered
