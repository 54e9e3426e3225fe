"""The customer list (search, filters, sorting, pages) and the customer page."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from enum import StrEnum
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.datastructures import QueryParams

from fengkong.api.deps import DbSession
from fengkong.auth import service as auth_service
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.customers import service as customers_service
from fengkong.customers.models import Customer
from fengkong.customers.service import CustomerFilter, CustomerSort
from fengkong.customers.status import CustomerStatus
from fengkong.kit.pagination import Page, PageRequest
from fengkong.reference.classifications import industry_sections, regions
from fengkong.risk import service as risk_service
from fengkong.risk.models import Grade
from fengkong.web.deps import request_locale, requires
from fengkong.web.routes import exposure, limits, quality, risk
from fengkong.web.templating import is_htmx, render

router = APIRouter(prefix="/customers", include_in_schema=False)

CustomersReader = Annotated[Actor, requires(Permission.CUSTOMERS_READ)]
PAGE_SIZES = (25, 50, 100)
MAX_SEARCH_LENGTH = 200
RESULTS_ID = "customer-results"
RATED_SORTS = frozenset(
    {CustomerSort.SCORE, CustomerSort.SCORE_DESC, CustomerSort.GRADE, CustomerSort.GRADE_DESC}
)

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
    sort: CustomerSort = CustomerSort.NAME
    page: int = 1
    page_size: int = PAGE_SIZES[0]

    @classmethod
    def parse(cls, params: QueryParams) -> ListQuery:
        industry = params.get("industry", "").strip().upper()
        region = params.get("region", "").strip()
        page_size = _positive(params.get("page_size"))
        chosen = set(params.getlist("grade"))
        return cls(
            q=params.get("q", "").strip()[:MAX_SEARCH_LENGTH],
            status=_member(CustomerStatus, params.get("status")),
            industry=industry if industry in industry_sections() else "",
            region=region if region in regions() else "",
            grade=tuple(grade for grade in Grade if grade.value in chosen),
            sort=_member(CustomerSort, params.get("sort")) or CustomerSort.NAME,
            page=_positive(params.get("page")) or 1,
            page_size=page_size if page_size in PAGE_SIZES else PAGE_SIZES[0],
        )

    @property
    def criteria(self) -> CustomerFilter:
        return CustomerFilter(
            search=self.q or None,
            status=self.status,
            industry_section=self.industry or None,
            region_code=self.region or None,
            grades=tuple(grade.value for grade in self.grade),
        )

    @property
    def is_filtered(self) -> bool:
        return bool(self.q or self.status or self.industry or self.region or self.grade)

    def url(self, **changes: Any) -> str:
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
        return "/customers" + (f"?{urlencode(pairs)}" if pairs else "")


def _fetch(session: Session, actor: Actor, query: ListQuery) -> Page[Customer]:
    return customers_service.list_customers(
        session,
        actor,
        criteria=query.criteria,
        sort=query.sort,
        page=PageRequest(page=query.page, page_size=query.page_size),
    )


@router.get("")
def customer_list(request: Request, session: DbSession, actor: CustomersReader) -> Response:
    """The full page, or only the results when htmx asks after a filter change or a page link;
    either way the address bar ends up at the canonical URL of what is shown."""
    query = ListQuery.parse(request.query_params)
    show_ratings = actor.can(Permission.RISK_READ)
    if not show_ratings and (query.grade or query.sort in RATED_SORTS):
        query = replace(query, grade=(), sort=CustomerSort.NAME)
    page = _fetch(session, actor, query)
    if not page.items and page.page > page.pages:
        query = replace(query, page=page.pages)
        page = _fetch(session, actor, query)
    locale = request_locale(request)
    ratings = risk_service.ratings_of(session, [c.id for c in page.items]) if show_ratings else {}
    context = {
        "query": query,
        "page": page,
        "show_ratings": show_ratings,
        "ratings": ratings,
        "grades": list(Grade),
        "grade_labels": risk.grade_labels(session, actor, locale) if show_ratings else {},
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


@router.get("/{customer_id:int}")
def customer_page(
    request: Request, customer_id: int, session: DbSession, actor: CustomersReader
) -> Response:
    customer = customers_service.get_customer(session, actor, customer_id)
    owner = (
        auth_service.load_actor(session, customer.owner_id)
        if customer.owner_id is not None
        else None
    )
    return render(
        request,
        "customers/detail.html",
        {
            "customer": customer,
            "owner": owner,
            **risk.customer_section(request, session, actor, customer.id),
            **quality.customer_section(request, session, actor, customer.id),
            **exposure.customer_section(request, session, actor, customer.id),
            **limits.customer_section(request, session, actor, customer.id),
        },
    )
