"""Data quality in the UI: the portfolio page, the customer page's "Data quality and sources"
section, and its button that pulls credit data from the configured providers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import attrgetter
from typing import Annotated, Any

from babel.numbers import format_percent
from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from fengkong.api.deps import DbSession
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.connectors import service as connectors_service
from fengkong.connectors.models import DataKind, PullOutcome
from fengkong.connectors.service import KindResult, PullSummary
from fengkong.customers.status import USCCVerification
from fengkong.display.formatting import Formatter
from fengkong.errors import Conflict, ValidationFailed
from fengkong.i18n import N_, translations
from fengkong.kit.provenance import DataSource
from fengkong.kit.time import business_today
from fengkong.quality import service as quality_service
from fengkong.quality.rules import Issue, KeyField, Thresholds
from fengkong.quality.service import Category, CustomerScore
from fengkong.reports.exports import MAX_EXPORT_ROWS, ColumnKind, ExportColumn, ExportTable
from fengkong.settings import Locale, Settings
from fengkong.web import sessions
from fengkong.web.deps import app_settings, request_locale, requires
from fengkong.web.exports import export_format, export_response
from fengkong.web.sessions import FlashLevel
from fengkong.web.templating import render

router = APIRouter(include_in_schema=False)

WORST_SHOWN = 25
MAX_FLASH_LENGTH = 400  # the session cookie holds flashes; keep a long error short

FIELD_LABELS: dict[KeyField, str] = {
    KeyField.USCC_VERIFIED: N_("USCC verified"),
    KeyField.NAME: N_("Name"),
    KeyField.INDUSTRY: N_("Industry"),
    KeyField.REGION: N_("Region"),
    KeyField.REGISTERED_CAPITAL: N_("Registered capital"),
    KeyField.ESTABLISHED_ON: N_("Established"),
    KeyField.LEGAL_REPRESENTATIVE: N_("Legal representative"),
    KeyField.CONTACT: N_("Contact person"),
    KeyField.FINANCIAL_STATEMENT: N_("Financial statement"),
    KeyField.CREDIT_REPORT: N_("Credit report"),
}
ISSUE_LABELS: dict[Issue, str] = {
    Issue.MISSING_NAME: N_("Name missing"),
    Issue.MISSING_INDUSTRY: N_("Industry missing"),
    Issue.MISSING_REGION: N_("Region missing"),
    Issue.MISSING_REGISTERED_CAPITAL: N_("Registered capital missing"),
    Issue.MISSING_ESTABLISHED_ON: N_("Establishment date missing"),
    Issue.MISSING_LEGAL_REPRESENTATIVE: N_("Legal representative missing"),
    Issue.MISSING_CONTACT: N_("No contact person"),
    Issue.MISSING_FINANCIAL_STATEMENT: N_("No financial statement"),
    Issue.MISSING_CREDIT_REPORT: N_("No credit report"),
    Issue.USCC_UNVERIFIED: N_("USCC not verified"),
    Issue.USCC_MISMATCH: N_("USCC and name disagree with the registry"),
    Issue.STALE_STATEMENT: N_("Latest statement is stale"),
    Issue.STALE_REPORT: N_("Latest credit report is stale"),
    Issue.UNVERIFIED_OUTSIDE_DATA: N_("Outside data not matched on the USCC"),
}
CATEGORY_LABELS: dict[Category, str] = {
    Category.CUSTOMER: N_("Customer profile"),
    Category.FINANCIAL_STATEMENTS: N_("Financial statements"),
    Category.CREDIT_REPORTS: N_("Credit reports"),
    Category.LEGAL_EVENTS: N_("Legal events"),
    Category.RELATED_PARTIES: N_("Related parties"),
    Category.CONTRACTS: N_("Contracts"),
    Category.ORDERS: N_("Orders"),
    Category.INVOICES: N_("Invoices"),
    Category.PAYMENTS: N_("Payments"),
}
SOURCE_LABELS: dict[DataSource, str] = {
    DataSource.UI: N_("Entered in Fengkong"),
    DataSource.API: N_("API"),
    DataSource.IMPORT: N_("File import"),
    DataSource.CONNECTOR: N_("Connector"),
    DataSource.DEMO: N_("Demo data"),
    DataSource.CLI: N_("Command line"),
}
KIND_LABELS: dict[DataKind, str] = {
    DataKind.AGENCY_REPORT: N_("Agency report"),
    DataKind.REGISTRY: N_("Business registry"),
    DataKind.COURT: N_("Court records"),
}
OUTCOME_LABELS: dict[PullOutcome, str] = {
    PullOutcome.FOUND: N_("found"),
    PullOutcome.NOT_FOUND: N_("not found"),
    PullOutcome.FAILED: N_("failed"),
    PullOutcome.FRESH_ENOUGH: N_("recent enough, not pulled"),
}
VERIFICATION_LABELS: dict[USCCVerification, str] = {
    USCCVerification.UNVERIFIED: N_("USCC unverified"),
    USCCVerification.VERIFIED: N_("USCC verified"),
    USCCVerification.MISMATCH: N_("USCC mismatch"),
}
LABELS: dict[str, Any] = {
    "fields": FIELD_LABELS,
    "issues": ISSUE_LABELS,
    "categories": CATEGORY_LABELS,
    "sources": SOURCE_LABELS,
    "kinds": KIND_LABELS,
    "outcomes": OUTCOME_LABELS,
    "verification": VERIFICATION_LABELS,
}


def percent_formatter(locale: Locale) -> Callable[[float], str]:
    return lambda share: str(format_percent(share, "#,##0.#%", locale=locale))


def customer_section(
    request: Request, session: Session, actor: Actor, customer_id: int
) -> dict[str, Any]:
    """What the customer page's "Data quality and sources" section shows."""
    settings = app_settings(request)
    quality = quality_service.customer_quality(
        session,
        actor,
        customer_id,
        today=business_today(settings.zone),
        thresholds=Thresholds.of(settings),
    )
    return {
        "quality": quality,
        "quality_labels": LABELS,
        "percent": percent_formatter(request_locale(request)),
        "can_pull": actor.can(Permission.CREDIT_REPORTS_WRITE),
        "pull_kinds": connectors_service.KINDS,
    }


@router.get("/data-quality")
def portfolio_page(
    request: Request,
    session: DbSession,
    actor: Annotated[Actor, requires(Permission.CUSTOMERS_READ)],
) -> Response:
    settings = app_settings(request)
    quality = quality_service.portfolio_quality(
        session,
        actor,
        today=business_today(settings.zone),
        thresholds=Thresholds.of(settings),
        worst=WORST_SHOWN,
    )
    return render(
        request,
        "quality/portfolio.html",
        {
            "quality": quality,
            "quality_labels": LABELS,
            "percent": percent_formatter(request_locale(request)),
        },
    )


@router.get("/data-quality/export.{fmt}")
def export_quality(
    request: Request,
    session: DbSession,
    actor: Annotated[Actor, requires(Permission.CUSTOMERS_READ)],
    fmt: str,
) -> Response:
    """Every customer file with its completeness and issues, the ones needing most work first:
    the worklist behind the page's top 25."""
    chosen = export_format(fmt)
    gettext = translations(request_locale(request)).gettext
    settings = app_settings(request)
    table: ExportTable[CustomerScore] = ExportTable(
        N_("Data quality"),
        [
            ExportColumn(N_("Customer"), attrgetter("name")),
            ExportColumn(N_("Customer number"), attrgetter("customer_id"), ColumnKind.NUMBER),
            ExportColumn(N_("USCC"), attrgetter("uscc")),
            ExportColumn(N_("Completeness"), attrgetter("score"), ColumnKind.SHARE),
            ExportColumn(N_("Issues"), lambda row: len(row.issues), ColumnKind.NUMBER),
            ExportColumn(
                N_("Issue list"),
                lambda row: "; ".join(gettext(ISSUE_LABELS[issue]) for issue in row.issues),
            ),
        ],
    )
    rows = quality_service.customer_scores(
        session,
        actor,
        today=business_today(settings.zone),
        thresholds=Thresholds.of(settings),
        limit=MAX_EXPORT_ROWS,
    )
    return export_response(
        request, session, actor, entity_type="data_quality", table=table, rows=rows, fmt=chosen
    )


@router.post("/customers/{customer_id:int}/credit-data/pull")
def pull_credit_data(
    request: Request,
    customer_id: int,
    session: DbSession,
    actor: Annotated[Actor, requires(Permission.CREDIT_REPORTS_WRITE)],
    kinds: Annotated[list[DataKind] | None, Form()] = None,
    force: Annotated[bool, Form()] = False,
) -> Response:
    """Pull, then show what happened as flash messages on the customer page. A refused pull (a
    malformed export file, an unknown provider, an archived customer) stores nothing."""
    locale = request_locale(request)
    target = f"/customers/{customer_id}#data-quality"
    gettext = translations(locale).gettext
    if not kinds:
        sessions.flash(request, "warning", gettext(CHOOSE_A_KIND))
        return RedirectResponse(target, status_code=303)
    settings = app_settings(request)
    try:
        with session.begin_nested():
            summary = connectors_service.pull(
                session,
                actor,
                customer_id=customer_id,
                kinds=kinds,
                force=force,
                config=connectors_service.connector_config(settings),
            )
    except (ValidationFailed, Conflict) as error:
        reason = error.message[:MAX_FLASH_LENGTH]
        sessions.flash(request, "error", gettext(PULL_REFUSED) % {"reason": reason})
        return RedirectResponse(target, status_code=303)
    for level, message in pull_messages(summary, locale, settings):
        sessions.flash(request, level, message)
    return RedirectResponse(target, status_code=303)


CHOOSE_A_KIND = N_("Choose at least one kind of credit data to pull.")
PULL_REFUSED = N_("No credit data was pulled: %(reason)s")
_NO_PROVIDER = N_("%(kind)s: no provider is configured.")
_FRESH = N_("%(kind)s: not pulled, the data from %(date)s is recent enough.")
_NOT_FOUND = N_("%(kind)s: no provider has data on this customer.")
_FAILED = N_("%(kind)s: every provider failed; try again later.")
_FOUND = N_(
    "%(kind)s from %(provider)s: %(created)s new, %(updated)s updated, %(unchanged)s unchanged."
)
_NAME_ONLY = N_("%(count)s matched by name only and kept unverified.")
_VERIFIED = N_("%(kind)s (%(provider)s): the USCC and the registered name match.")
_MISMATCH = N_("%(kind)s (%(provider)s): the registry lists another name for this USCC.")
_COST = N_("This pull cost %(cost)s.")


def pull_messages(
    summary: PullSummary, locale: Locale, settings: Settings
) -> list[tuple[FlashLevel, str]]:
    """One translated message per kind of data, then what the pull cost."""
    gettext = translations(locale).gettext
    formatter = Formatter(locale, settings.zone)
    messages = [
        (level, " ".join(gettext(msgid) % params for msgid, params in parts))
        for level, parts in (_describe(result, formatter, gettext) for result in summary.results)
    ]
    if summary.costs:
        costs = ", ".join(formatter.money(cost) for cost in summary.costs)
        messages.append(("info", gettext(_COST) % {"cost": costs}))
    return messages


Parts = Sequence[tuple[str, dict[str, object]]]


def _describe(
    result: KindResult, formatter: Formatter, gettext: Callable[[str], str]
) -> tuple[FlashLevel, Parts]:
    kind = gettext(KIND_LABELS[result.kind])
    if result.outcome is None:
        return "warning", [(_NO_PROVIDER, {"kind": kind})]
    if result.outcome is PullOutcome.FRESH_ENOUGH:
        return "info", [(_FRESH, {"kind": kind, "date": formatter.date(result.fresh_as_of)})]
    if result.outcome is PullOutcome.NOT_FOUND:
        return "warning", [(_NOT_FOUND, {"kind": kind})]
    if result.outcome is PullOutcome.FAILED:
        return "error", [(_FAILED, {"kind": kind})]
    return _found(result, kind, formatter)


def _found(result: KindResult, kind: str, formatter: Formatter) -> tuple[FlashLevel, Parts]:
    level: FlashLevel = "success"
    parts: list[tuple[str, dict[str, object]]] = []
    if result.verification is USCCVerification.VERIFIED:
        parts.append((_VERIFIED, {"kind": kind, "provider": result.provider}))
    elif result.verification is USCCVerification.MISMATCH:
        level = "warning"
        parts.append((_MISMATCH, {"kind": kind, "provider": result.provider}))
    if result.kind is not DataKind.REGISTRY or result.created or result.updated:
        parts.append(
            (_FOUND, {"kind": kind, "provider": result.provider, **_counts(result, formatter)})
        )
    if result.unverified:
        parts.append((_NAME_ONLY, {"count": formatter.number(result.unverified)}))
    return level, parts


def _counts(result: KindResult, formatter: Formatter) -> dict[str, str]:
    return {
        "created": formatter.number(result.created),
        "updated": formatter.number(result.updated),
        "unchanged": formatter.number(result.unchanged),
    }
