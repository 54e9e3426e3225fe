"""Exposure in the UI: the customer page's "Exposure" section (ageing bar, gross → mitigants →
net → EAD, PD × LGD × EAD = EL, the mitigants). No routes of its own: the customer page
includes what ``customer_section`` returns (the dashboard is ``web.routes.home``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from babel.numbers import format_percent
from fastapi import Request
from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.display.formatting import Formatter
from fengkong.exposure import service as exposure_service
from fengkong.exposure.ageing import BUCKETS
from fengkong.exposure.results import CREDIT_CURRENCY, CustomerExposure
from fengkong.exposure.status import MitigantKind, MitigantStatus
from fengkong.i18n import N_, translations
from fengkong.kit.money import Money
from fengkong.kit.time import business_today
from fengkong.settings import Locale
from fengkong.web.deps import app_settings, request_locale

BUCKET_LABELS: dict[str, str] = {
    "not_due": N_("Not due"),
    "dpd_1_30": N_("1–30 days"),
    "dpd_31_60": N_("31–60 days"),
    "dpd_61_90": N_("61–90 days"),
    "dpd_90_plus": N_("Over 90 days"),
}
KIND_LABELS: dict[MitigantKind, str] = {
    MitigantKind.GUARANTEE: N_("Guarantee"),
    MitigantKind.COLLATERAL: N_("Collateral"),
    MitigantKind.CREDIT_INSURANCE: N_("Credit insurance"),
    MitigantKind.PREPAYMENT: N_("Prepayment"),
    MitigantKind.LETTER_OF_CREDIT: N_("Letter of credit"),
}
MITIGANT_STATUS_LABELS: dict[MitigantStatus, str] = {
    MitigantStatus.ACTIVE: N_("Active"),
    MitigantStatus.RELEASED: N_("Released"),
    MitigantStatus.EXPIRED: N_("Expired"),
}


@dataclass(frozen=True, slots=True)
class MitigantRow:
    kind: str
    provider: str
    amount: str
    haircut: str
    covered: str
    valid: str
    status: str
    in_force: bool


@dataclass(frozen=True, slots=True)
class ExposureSection:
    exposure: CustomerExposure
    buckets: tuple[tuple[str, str], ...]
    amounts: dict[str, str]
    lgd: str
    pd: str | None
    mitigants: tuple[MitigantRow, ...]
    chart: dict[str, Any] | None
    """``None`` when nothing is owed: no bar to draw (and no chart library to load)."""
    unconverted: tuple[str, ...]


class _Show:
    def __init__(self, locale: Locale, formatter: Formatter) -> None:
        self.locale = locale
        self.formatter = formatter
        self.gettext = translations(locale).gettext

    def money(self, minor: int, currency: str = CREDIT_CURRENCY) -> str:
        return self.formatter.money(Money.from_minor_units(minor, currency))

    def share(self, value: float) -> str:
        return str(format_percent(value, "#,##0.##%", locale=self.locale))


def _ageing_chart(buckets: dict[str, int], show: _Show) -> dict[str, Any]:
    """What static/js/exposure.js draws: one stacked bar of the receivables by bucket."""
    return {
        "locale": "ZH" if show.locale == "zh_CN" else "EN",
        "series": [
            {
                "bucket": name,
                "label": show.gettext(BUCKET_LABELS[name]),
                "value": buckets[name] / 100,
                "text": show.money(buckets[name]),
            }
            for name in BUCKETS
        ],
    }


def _mitigant_rows(
    session: Session, actor: Actor, customer_id: int, day: date, show: _Show
) -> tuple[MitigantRow, ...]:
    rows = []
    for mitigant in exposure_service.list_mitigants(session, actor, customer_id=customer_id):
        in_force = (
            mitigant.status is MitigantStatus.ACTIVE
            and mitigant.valid_from <= day
            and (mitigant.valid_until is None or mitigant.valid_until >= day)
        )
        until = show.formatter.date(mitigant.valid_until) if mitigant.valid_until else "…"
        rows.append(
            MitigantRow(
                kind=show.gettext(KIND_LABELS[mitigant.kind]),
                provider=mitigant.provider or mitigant.description or "—",
                amount=show.formatter.money(mitigant.amount),
                haircut=show.share(mitigant.haircut),
                covered=show.formatter.money(exposure_service.covered(mitigant)),
                valid=f"{show.formatter.date(mitigant.valid_from)} – {until}",
                status=show.gettext(MITIGANT_STATUS_LABELS[mitigant.status]),
                in_force=in_force,
            )
        )
    return tuple(rows)


def customer_section(
    request: Request, session: Session, actor: Actor, customer_id: int
) -> dict[str, Any]:
    """What the customer page's exposure section shows; nothing without ``exposure:read``."""
    if not actor.can(Permission.EXPOSURE_READ):
        return {"exposure_section": None}
    locale = request_locale(request)
    zone = app_settings(request).zone
    show = _Show(locale, Formatter(locale, zone))
    day = business_today(zone)
    exposure = exposure_service.get_exposure(session, actor, customer_id=customer_id, as_of=day)
    names = (
        "open_receivables",
        "overdue",
        "disputed",
        "open_orders",
        "contract_commitments",
        "unapplied_payments",
        "gross_exposure",
        "mitigation",
        "net_exposure",
        "ead",
        "unsecured",
    )
    amounts = {name: show.money(getattr(exposure, name)) for name in names}
    amounts["expected_loss"] = (
        show.money(exposure.expected_loss) if exposure.expected_loss is not None else "—"
    )
    section = ExposureSection(
        exposure=exposure,
        buckets=tuple(
            (show.gettext(BUCKET_LABELS[name]), show.money(exposure.receivables_by_bucket[name]))
            for name in BUCKETS
        ),
        amounts=amounts,
        lgd=show.share(exposure.lgd),
        pd=show.share(exposure.pd) if exposure.pd is not None else None,
        mitigants=_mitigant_rows(session, actor, customer_id, day, show),
        chart=(
            _ageing_chart(exposure.receivables_by_bucket, show)
            if exposure.open_receivables
            else None
        ),
        unconverted=tuple(
            show.money(amount, currency)
            for currency, amount in sorted(exposure.unconverted.items())
        ),
    )
    return {"exposure_section": section}
