"""The customer list (search, filters, sorting, pages, the Excel export of the filtered view)
and the customer page with its interaction log."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from enum import StrEnum
from operator import itemgetter
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import QueryParams

from fengkong.api.deps import DbSession
from fengkong.auth import service as auth_service
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.customers import contacts as contacts_service
from fengkong.customers import interactions as interactions_service
from fengkong.customers import service as customers_service
from fengkong.customers.models import Customer
from fengkong.customers.service import (
    MAX_EXPORT_ROWS,
    AlertState,
    CustomerExportRow,
    CustomerFilter,
    CustomerSort,
)
from fengkong.customers.status import CustomerStatus
from fengkong.display.formatting import Formatter
from fengkong.display.labels import CUSTOMER_STATUS_LABELS
from fengkong.i18n import N_, translations
from fengkong.kit.pagination import Page, PageRequest
from fengkong.kit.time import business_today, utcnow
from fengkong.monitoring import service as monitoring_service
from fengkong.monitoring.rules import SEVERITY_LABELS
from fengkong.privacy.disclosure import Disclosure
from fengkong.reference.classifications import industry_sections, regions
from fengkong.reports.exports import ColumnKind, ExportColumn, ExportTable
from fengkong.reviews.status import REVIEW_STATUS_LABELS
from fengkong.risk import service as risk_service
from fengkong.risk.models import Grade
from fengkong.risk.views import active_scale
from fengkong.scoring.grading import RiskLevel
from fengkong.web import sessions
from fengkong.web.deps import app_settings, request_locale, requires
from fengkong.web.exports import export_format, export_response
from fengkong.web.routes import customer_sections, exposure, limits, quality, risk
from fengkong.web.routes.alerts import ACTION_LABELS as ALERT_ACTION_LABELS
from fengkong.web.routes.alerts import STATUS_LABELS as ALERT_STATUS_LABELS
from fengkong.web.routes.customer_sections import InteractionForm
from fengkong.web.routes.quality import VERIFICATION_LABELS
from fengkong.web.templating import is_htmx, render

router = APIRouter(prefix="/customers", include_in_schema=False)

CustomersReader = Annotated[Actor, requires(Permission.CUSTOMERS_READ)]
CustomersWriter = Annotated[Actor, requires(Permission.CUSTOMERS_WRITE)]
PAGE_SIZES = (25, 50, 100)
MAX_SEARCH_LENGTH = 200
RESULTS_ID = "customer-results"
MINE = "me"
RATED_SORTS = frozenset(
    {CustomerSort.SCORE, CustomerSort.SCORE_DESC, CustomerSort.GRADE, CustomerSort.GRADE_DESC}
)
RISK_LEVEL_LABELS: dict[RiskLevel, str] = {
    RiskLevel.LOW: N_("Low risk"),
    RiskLevel.MEDIUM_LOW: N_("Medium-low risk"),
    RiskLevel.MEDIUM: N_("Medium risk"),
    RiskLevel.HIGH: N_("High risk"),
    RiskLevel.VERY_HIGH: N_("Very high risk"),
}
ALERT_STATE_LABELS: dict[AlertState, str] = {
    AlertState.NONE: N_("No open alert"),
    AlertState.OPEN: N_("Any open alert"),
    AlertState.HIGH: N_("Open alert, high or critical"),
    AlertState.CRITICAL: N_("Open critical alert"),
}
# Column headers of the export.
EXPORT_HEADERS: dict[str, str] = {
    "name": N_("Name"),
    "name_en": N_("English name"),
    "uscc": N_("USCC"),
    "legal_representative": N_("Legal representative"),
    "legal_representative_id_number": N_("Legal representative ID number"),
    "industry": N_("Industry"),
    "region": N_("Region"),
    "status": N_("Status"),
    "owner": N_("Account owner"),
    "grade": N_("Grade"),
    "risk_level": N_("Risk level"),
    "score": N_("Score"),
    "pd": N_("Probability of default"),
    "rated_as_of": N_("Rated as of"),
    "open_alerts": N_("Open alerts"),
    "created_at": N_("Added"),
}
RATED_COLUMNS = frozenset({"grade", "risk_level", "score", "pd", "rated_as_of"})
ALERT_COLUMNS = frozenset({"open_alerts"})
EXPORT_KINDS: dict[str, ColumnKind] = {
    "score": ColumnKind.NUMBER,
    "pd": ColumnKind.SHARE,
    "rated_as_of": ColumnKind.DATE,
    "open_alerts": ColumnKind.NUMBER,
    "created_at": ColumnKind.DATE,
}
_LOGGED = N_("Interaction logged.")

E = TypeVar("E", bound=StrEnum)


def _member(enum: type[E], value: str | None) -> E | None:
    try:
        return enum(value) if value else None
    except ValueError:
        return None


def _positive(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and int(value) >= 1 else None


@dataclass(frozen=True, slots=True)
class ListQuery:
    """The list's query string, read leniently: a value the form could not have sent (an old
    bookmark, a hand-edited URL) is dropped rather than answered with an error page."""

    q: str = ""
    status: CustomerStatus | None = None
    industry: str = ""
    region: str = ""
    grade: tuple[Grade, ...] = ()
    """Any of these grades (repeated ``grade=`` in the URL); empty: rated or not."""
    risk_level: tuple[RiskLevel, ...] = ()
    alerts: AlertState | None = None
    owner: str = ""
    """``me``, a user's id, or empty for anyone's customers."""
    sort: CustomerSort = CustomerSort.NAME
    page: int = 1
    page_size: int = PAGE_SIZES[0]

    @classmethod
    def parse(cls, params: QueryParams) -> ListQuery:
        industry = params.get("industry", "").strip().upper()
        region = params.get("region", "").strip()
        owner = params.get("owner", "").strip()
        page_size = _positive(params.get("page_size"))
        chosen = set(params.getlist("grade"))
        levels = set(params.getlist("risk_level"))
        return cls(
            q=params.get("q", "").strip()[:MAX_SEARCH_LENGTH],
            status=_member(CustomerStatus, params.get("status")),
            industry=industry if industry in industry_sections() else "",
            region=region if region in regions() else "",
            grade=tuple(grade for grade in Grade if grade.value in chosen),
            risk_level=tuple(level for level in RiskLevel if level.value in levels),
            alerts=_member(AlertState, params.get("alerts")),
            owner=owner if owner == MINE or _positive(owner) else "",
            sort=_member(CustomerSort, params.get("sort")) or CustomerSort.NAME,
            page=_positive(params.get("page")) or 1,
            page_size=page_size if page_size in PAGE_SIZES else PAGE_SIZES[0],
        )

    def criteria(self, actor: Actor) -> CustomerFilter:
        owner_id = actor.user_id if self.owner == MINE else _positive(self.owner)
        return CustomerFilter(
            search=self.q or None,
            status=self.status,
            industry_section=self.industry or None,
            region_code=self.region or None,
            owner_id=owner_id,
            grades=tuple(grade.value for grade in self.grade),
            risk_levels=self.risk_level,
            alerts=self.alerts,
        )

    @property
    def is_filtered(self) -> bool:
        return bool(
            self.q
            or self.status
            or self.industry
            or self.region
            or self.grade
            or self.risk_level
            or self.alerts
            or self.owner
        )

    def url(self, path: str = "/customers", **changes: Any) -> str:
        """This list's URL with ``changes``, naming only what differs from the defaults (a
        choice of several, such as grades, as one parameter per value)."""
        query = replace(self, **changes)
        pairs: list[tuple[str, str]] = []
        for field in fields(query):
            value = getattr(query, field.name)
            if value == field.default:
                continue
            values = value if isinstance(value, tuple) else (value,)
            pairs.extend((field.name, str(item)) for item in values)
        return path + (f"?{urlencode(pairs)}" if pairs else "")

    def export_query(self) -> str:
        """The export of this view: every page of it, so without the page number and size."""
        return self.url("/customers/export", page=1, page_size=PAGE_SIZES[0]).partition("?")[2]


def _allowed(query: ListQuery, actor: Actor) -> ListQuery:
    """The query without what the actor may not filter or sort by (ratings, alerts)."""
    if not actor.can(Permission.RISK_READ) and (
        query.grade or query.risk_level or query.sort in RATED_SORTS
    ):
        query = replace(query, grade=(), risk_level=(), sort=CustomerSort.NAME)
    if not actor.can(Permission.ALERTS_READ) and query.alerts is not None:
        query = replace(query, alerts=None)
    return query


def _fetch(session: Session, actor: Actor, query: ListQuery) -> Page[Customer]:
    return customers_service.list_customers(
        session,
        actor,
        criteria=query.criteria(actor),
        sort=query.sort,
        page=PageRequest(page=query.page, page_size=query.page_size),
    )


@router.get("")
def customer_list(request: Request, session: DbSession, actor: CustomersReader) -> Response:
    """The full page, or only the results when htmx asks after a filter change or a page link;
    either way the address bar ends up at the canonical URL of what is shown."""
    query = _allowed(ListQuery.parse(request.query_params), actor)
    show_ratings = actor.can(Permission.RISK_READ)
    show_alerts = actor.can(Permission.ALERTS_READ)
    page = _fetch(session, actor, query)
    if not page.items and page.page > page.pages:
        query = replace(query, page=page.pages)
        page = _fetch(session, actor, query)
    locale = request_locale(request)
    ids = [c.id for c in page.items]
    context = {
        "query": query,
        "page": page,
        "show_ratings": show_ratings,
        "show_alerts": show_alerts,
        "ratings": risk_service.ratings_of(session, ids) if show_ratings else {},
        "open_alerts": (
            monitoring_service.open_alerts_by_customer(session, actor, ids) if show_alerts else {}
        ),
        "grades": list(Grade),
        "grade_labels": risk.grade_labels(session, actor, locale) if show_ratings else {},
        "risk_levels": list(RiskLevel),
        "risk_level_labels": RISK_LEVEL_LABELS,
        "alert_states": list(AlertState),
        "alert_state_labels": ALERT_STATE_LABELS,
        "severity_labels": SEVERITY_LABELS,
        "owners": auth_service.list_active_users(session),
        "mine": MINE,
        "can_own": actor.user_id is not None,
        "max_export_rows": MAX_EXPORT_ROWS,
        "score_text": risk.Display(locale).score,
        "results_id": RESULTS_ID,
        "page_sizes": PAGE_SIZES,
        "statuses": list(CustomerStatus),
        "industries": list(industry_sections().values()),
        "regions": sorted(regions().values(), key=lambda region: region.code),
    }
    if is_htmx(request) and request.headers.get("HX-Target") == RESULTS_ID:
        return render(
            request,
            "customers/_results.html",
            {**context, "is_partial": True},
            headers={"HX-Push-Url": query.url()},
        )
    return render(request, "customers/list.html", {**context, "is_partial": False})


# --- export -------------------------------------------------------------------------------


class _ExportCells:
    """Turns export rows into cells in the page language; the names of codes are looked up once
    per code, not once per row."""

    def __init__(self, formatter: Formatter, levels: dict[str, str]) -> None:
        self.formatter = formatter
        self.gettext = translations(formatter.locale).gettext
        self.levels = levels
        self.statuses = {
            status: self.gettext(CUSTOMER_STATUS_LABELS[status]) for status in CustomerStatus
        }
        self.names: dict[tuple[str, str], str] = {}

    def _coded(self, kind: str, code: str | None) -> str:
        if not code:
            return ""
        if (kind, code) not in self.names:
            lookup = self.formatter.industry if kind == "industry" else self.formatter.region
            name = lookup(code)
            self.names[kind, code] = f"{name} ({code})" if name != code else code
        return self.names[kind, code]

    def values(self, row: CustomerExportRow) -> dict[str, Any]:
        return {
            "name": row.name,
            "name_en": row.name_en or "",
            "uscc": row.uscc,
            "industry": self._coded("industry", row.industry_code),
            "region": self._coded("region", row.region_code),
            "status": self.statuses[row.status],
            "owner": row.owner or "",
            "grade": row.grade or "",
            "risk_level": self.levels.get(row.grade or "", ""),
            "score": row.score,
            "pd": row.pd,
            "rated_as_of": row.rated_as_of,
            "open_alerts": row.open_alerts,
            "created_at": row.created_at.astimezone(self.formatter.zone).date(),
        }


def _export_table(columns: list[str]) -> ExportTable[dict[str, Any]]:
    return ExportTable(
        N_("Customers"),
        [
            ExportColumn(
                EXPORT_HEADERS[key], itemgetter(key), EXPORT_KINDS.get(key, ColumnKind.TEXT)
            )
            for key in columns
        ],
    )


@router.get("/export.{fmt}")
def export_customers(
    request: Request, session: DbSession, actor: CustomersReader, fmt: str
) -> Response:
    """The list as filtered and sorted, every page of it (up to ``MAX_EXPORT_ROWS`` rows), as an
    Excel workbook or CSV file with headers in the page language. The rows come from the list's
    own query (``customers_service.export_customers`` with the same ``CustomerFilter``)."""
    chosen = export_format(fmt)
    query = _allowed(ListQuery.parse(request.query_params), actor)
    show_ratings = actor.can(Permission.RISK_READ)
    columns = [
        column
        for column in EXPORT_HEADERS
        if (show_ratings or column not in RATED_COLUMNS)
        and (actor.can(Permission.ALERTS_READ) or column not in ALERT_COLUMNS)
    ]
    locale = request_locale(request)
    zone = app_settings(request).zone
    levels = (
        {
            grade.code: translations(locale).gettext(RISK_LEVEL_LABELS[grade.risk_level])
            for grade in active_scale(session, actor).grades
        }
        if show_ratings
        else {}
    )
    rows = customers_service.export_customers(
        session, actor, criteria=query.criteria(actor), sort=query.sort
    )
    cells = _ExportCells(Formatter(locale, zone), levels)
    # Personal data as the reader may see it: masked without pii:read, else in full and noted
    # for one pii_view audit entry naming the exported customers.
    disclosure = Disclosure(actor)
    response = export_response(
        request,
        session,
        actor,
        entity_type="customers",
        table=_export_table(columns),
        rows=(cells.values(row) | disclosure.show([row], table="customers")[0] for row in rows),
        fmt=chosen,
    )
    disclosure.record(session)
    return response


# --- the customer page ----------------------------------------------------------------------


def _page_context(
    request: Request,
    session: Session,
    actor: Actor,
    customer: Customer,
    *,
    log_page: int = 1,
    form: InteractionForm | None = None,
) -> dict[str, Any]:
    locale = request_locale(request)
    zone = app_settings(request).zone
    today = business_today(zone)
    display = risk.Display(locale)
    owner = (
        auth_service.load_actor(session, customer.owner_id)
        if customer.owner_id is not None
        else None
    )
    disclosure = Disclosure(actor)
    [personal] = disclosure.show([customer], table="customers", customer_attribute="id")
    contacts = contacts_service.list_contacts(session, actor, customer.id)
    shown_contacts = disclosure.show(contacts, table="customer_contacts")
    disclosure.record(session)
    return {
        "customer": customer,
        "personal": personal,
        "contacts": [
            {**shown, "title": contact.title, "is_primary": contact.is_primary}
            for contact, shown in zip(contacts, shown_contacts, strict=True)
        ],
        "owner": owner,
        "verification_labels": VERIFICATION_LABELS,
        "customer_labels": customer_sections.LABELS,
        "alert_status_labels": ALERT_STATUS_LABELS,
        "alert_action_labels": ALERT_ACTION_LABELS,
        "severity_labels": SEVERITY_LABELS,
        "review_status_labels": REVIEW_STATUS_LABELS,
        "parties": customer_sections.related_party_section(session, actor, customer, display),
        "ratios": customer_sections.ratio_section(session, actor, customer.id, display),
        "payments": customer_sections.payment_section(session, actor, customer.id, today, display),
        "monitoring": customer_sections.monitoring_section(session, actor, customer.id, today),
        "interactions": customer_sections.interaction_section(
            session, actor, customer.id, now=utcnow(), zone=zone, page=log_page, form=form
        ),
        **risk.customer_section(request, session, actor, customer.id),
        **quality.customer_section(request, session, actor, customer.id),
        **exposure.customer_section(request, session, actor, customer.id),
        **limits.customer_section(request, session, actor, customer.id),
    }


@router.get("/{customer_id:int}")
def customer_page(
    request: Request, customer_id: int, session: DbSession, actor: CustomersReader
) -> Response:
    customer = customers_service.get_customer(session, actor, customer_id)
    log_page = _positive(request.query_params.get("log_page")) or 1
    return render(
        request,
        "customers/detail.html",
        _page_context(request, session, actor, customer, log_page=log_page),
    )


# --- the interaction log ----------------------------------------------------------------------


def _log_partial(
    request: Request,
    session: Session,
    actor: Actor,
    customer_id: int,
    *,
    page: int = 1,
    form: InteractionForm | None = None,
    saved: str | None = None,
) -> Response:
    section = customer_sections.interaction_section(
        session,
        actor,
        customer_id,
        now=utcnow(),
        zone=app_settings(request).zone,
        page=page,
        form=form,
        saved=saved,
    )
    return render(
        request,
        "customers/_interactions.html",
        {"interactions": section, "customer_labels": customer_sections.LABELS},
    )


@router.get("/{customer_id:int}/interactions")
def interaction_log(
    request: Request, customer_id: int, session: DbSession, actor: CustomersReader
) -> Response:
    """A page of the log for htmx; a browser without it gets the customer page at that page."""
    page = _positive(request.query_params.get("page")) or 1
    if not is_htmx(request):
        return RedirectResponse(
            f"/customers/{customer_id}?log_page={page}#interactions", status_code=303
        )
    return _log_partial(request, session, actor, customer_id, page=page)


async def posted_interaction(request: Request) -> InteractionForm:
    """The form's fields as posted, unchecked."""
    form = await request.form()

    def text(name: str) -> str:
        value = form.get(name)
        return value if isinstance(value, str) else ""

    return InteractionForm(
        kind=text("kind").strip(),
        occurred_at=text("occurred_at").strip(),
        summary=text("summary"),
        follow_up_on=text("follow_up_on").strip(),
    )


PostedInteraction = Annotated[InteractionForm, Depends(posted_interaction)]


@router.post("/{customer_id:int}/interactions")
def log_interaction(
    request: Request,
    customer_id: int,
    session: DbSession,
    actor: CustomersWriter,
    posted: PostedInteraction,
) -> Response:
    """Log the interaction. htmx gets the log section back (always 200, since htmx swaps
    nothing else): with the new entry on top, or with the form's problems marked. A plain form
    post is redirected to the page, or gets the page back with the problems (400)."""
    customer = customers_service.get_customer(session, actor, customer_id)
    gettext = translations(request_locale(request)).gettext
    data, form = customer_sections.check_interaction_form(
        posted, now=utcnow(), zone=app_settings(request).zone, gettext=gettext
    )
    if data is None:
        if is_htmx(request):
            return _log_partial(request, session, actor, customer_id, form=form)
        context = _page_context(request, session, actor, customer, form=form)
        return render(request, "customers/detail.html", context, status_code=400)
    interactions_service.add_interaction(session, actor, customer_id=customer_id, data=data)
    if is_htmx(request):
        return _log_partial(request, session, actor, customer_id, saved=gettext(_LOGGED))
    sessions.flash(request, "success", gettext(_LOGGED))
    return RedirectResponse(f"/customers/{customer_id}#interactions", status_code=303)
