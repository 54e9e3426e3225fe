"""What each step result says to a person, in the reader's language. Results are stored as codes
with their values (minor units for amounts); the text is made where it is shown."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from fengkong.i18n import N_, Message
from fengkong.kit.money import currency_exponent

_TEMPLATES: dict[str, str] = {
    "static_limit_ok": N_("Exposure after the order %(exposure_after)s is within the limit."),
    "limit_exceeded": N_(
        "Exposure after the order %(exposure_after)s exceeds the limit %(limit)s by %(excess)s."
    ),
    "no_limit": N_("The customer has no credit limit in force."),
    "max_order_value_ok": N_("The order value is within the maximum for this risk class."),
    "order_value_too_high": N_(
        "The order value %(order_amount)s exceeds the maximum %(max_amount)s for this risk class."
    ),
    "dynamic_limit_ok": N_(
        "Exposure due within %(horizon_days)s days %(horizon_exposure)s is within the limit."
    ),
    "horizon_limit_exceeded": N_(
        "Exposure due within %(horizon_days)s days %(horizon_exposure)s exceeds the limit "
        "%(limit)s."
    ),
    "oldest_open_item_ok": N_("No material open item is older than allowed."),
    "open_item_too_old": N_(
        "The oldest open item is %(oldest_days_past_due)s days past due (allowed: %(max_days)s), "
        "with %(overdue)s overdue."
    ),
    "overdue_share_ok": N_("The overdue share is within tolerance."),
    "overdue_share_too_high": N_(
        "%(share_percent)s of open receivables are overdue (allowed: %(max_share_percent)s); "
        "overdue %(overdue)s after disputes and promises to pay."
    ),
    "dunning_level_ok": N_("The dunning level is acceptable."),
    "dunning_level_too_high": N_(
        "Dunning level %(dunning_level)s is above the maximum %(max_level)s."
    ),
    "payment_behaviour_ok": N_("Payment behaviour is acceptable."),
    "paying_too_late": N_(
        "The customer pays %(days_late)s days late on average (allowed: %(max_days_late)s)."
    ),
    "payment_behaviour_unknown": N_("There is no payment history to judge payment behaviour."),
    "blocks_ok": N_("The customer is not blocked."),
    "customer_blocked": N_("The customer is blocked: %(block_reasons)s."),
    "stage_not_checked": N_("The rule set does not check orders at the %(stage)s stage."),
    "order_value_reduced": N_(
        "The order was reduced to %(order_amount)s; the earlier approval of %(approved)s stands."
    ),
    "customer_archived": N_("The customer is archived and takes no new orders."),
}

_AMOUNT_KEYS = frozenset(
    {
        "exposure_after",
        "limit",
        "excess",
        "tolerance",
        "order_amount",
        "max_amount",
        "horizon_exposure",
        "overdue",
        "min_amount",
        "disputed",
        "promised",
        "open_receivables",
        "approved",
    }
)


def _major(amount: int, currency: str) -> str:
    return f"{Decimal(amount).scaleb(-currency_exponent(currency)):,}"


def message(code: str, values: Mapping[str, Any], currency: str) -> Message:
    params: dict[str, object] = {}
    for key, value in values.items():
        params[key] = (
            _major(value, currency) if key in _AMOUNT_KEYS and isinstance(value, int) else value
        )
    if "share" in values:
        params["share_percent"] = f"{float(values['share']):.1%}"
    if "max_share" in values:
        params["max_share_percent"] = f"{float(values['max_share']):.0%}"
    if "blocks" in values:
        params["block_reasons"] = "; ".join(
            str(block.get("reason", "")) for block in values["blocks"]
        )
    template = _TEMPLATES.get(code, code)
    return Message(template, params)
