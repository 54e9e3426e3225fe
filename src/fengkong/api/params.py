"""Parameters shared by routes: pages, keyset cursors, currency filters, today's business date,
and 422s that name a parameter."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, get_args

from fastapi import Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel

from fengkong.kit.keyset import KeysetPage
from fengkong.kit.money import MoneyError, normalise_currency
from fengkong.kit.pagination import MAX_PAGE_SIZE, Page, PageRequest
from fengkong.kit.schemas import EARLIEST_YEAR, LATEST_YEAR, MAX_RECORD_ID
from fengkong.kit.time import business_today
from fengkong.settings import Settings

MAX_CURSOR_LENGTH = 1000


def invalid_parameter(
    location: str, name: str, value: object, message: str
) -> RequestValidationError:
    """A 422 naming parameter ``name`` (in the query, a header), shaped like FastAPI's own."""
    return RequestValidationError(
        [{"type": "value_error", "loc": (location, name), "msg": message, "input": value}]
    )


def invalid_query(name: str, value: object, message: str) -> RequestValidationError:
    return invalid_parameter("query", name, value, message)


def page_request(
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
) -> PageRequest:
    return PageRequest(page=page, page_size=page_size)


PageParams = Annotated[PageRequest, Depends(page_request)]


@dataclass(frozen=True, slots=True)
class KeysetRequest:
    after: str | None
    page_size: int


def keyset_request(
    after: Annotated[
        str | None,
        Query(
            max_length=MAX_CURSOR_LENGTH,
            description="the next_cursor of the previous page; leave out for the first page",
        ),
    ] = None,
    page_size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
) -> KeysetRequest:
    return KeysetRequest(after=after, page_size=page_size)


KeysetParams = Annotated[KeysetRequest, Depends(keyset_request)]


def business_date(request: Request) -> date:
    """Today where the business is (an invoice is overdue by Shanghai's calendar, not UTC's)."""
    settings: Settings = request.app.state.settings
    return business_today(settings.zone)


BusinessDate = Annotated[date, Depends(business_date)]


def page_fields(page: Page[Any]) -> dict[str, int]:
    return {
        "total": page.total,
        "page": page.page,
        "page_size": page.page_size,
        "pages": page.pages,
    }


class KeysetPageOut(BaseModel):
    page_size: int
    next_cursor: str | None


def keyset_fields(page: KeysetPage[Any]) -> dict[str, Any]:
    return {"page_size": page.page_size, "next_cursor": page.next_cursor}


def currency_filter(
    currency: Annotated[str | None, Query(description="ISO 4217 code, e.g. CNY")] = None,
) -> str | None:
    if currency is None:
        return None
    try:
        return normalise_currency(currency)
    except MoneyError as exc:
        raise invalid_query("currency", currency, str(exc)) from exc


CurrencyFilter = Annotated[str | None, Depends(currency_filter)]


def _mentions(annotation: Any, kind: type) -> bool:
    return annotation is kind or any(_mentions(arg, kind) for arg in get_args(annotation))


def _typed_parameters(route: APIRoute) -> dict[tuple[str, str], type]:
    """(location, name) → int or date for the route's integer and date (or datetime) path,
    query and form parameters, its dependencies' included (a walk of a few dozen fields:
    cheaper than caching by route)."""
    found: dict[tuple[str, str], type] = {}
    pending = [route.dependant]
    while pending:
        dependant = pending.pop()
        pending.extend(dependant.dependencies)
        for location, fields in (
            ("path", dependant.path_params),
            ("query", dependant.query_params),
            ("body", dependant.body_params),
        ):
            for field in fields:
                annotation = field.field_info.annotation
                if _mentions(annotation, int):
                    found[(location, field.alias)] = int
                elif _mentions(annotation, date) or _mentions(annotation, datetime):
                    found[(location, field.alias)] = date
    return found


_FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


async def refuse_unstorable_parameters(request: Request) -> None:
    """A 422 naming the path, query or form parameter that no column could hold: U+0000 in any
    value (PostgreSQL refuses it), a whole number beyond 32 bits in an integer parameter, a
    date outside the years ``check_storable`` allows. JSON bodies are checked by their models
    (``InputModel``). Installed on every route by the app, so no route's service meets a driver
    error or a date overflow for them."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    typed = _typed_parameters(route)
    located: list[tuple[str, Any]] = [
        ("path", request.path_params.items()),
        ("query", request.query_params.multi_items()),
    ]
    if route.body_field is not None and request.headers.get("content-type", "").startswith(
        _FORM_TYPES
    ):
        # The route declares Form fields, so FastAPI has parsed the form already and this reads
        # its cache. Routes that parse their own uploads (with size limits first) are left be.
        located.append(("body", (await request.form()).multi_items()))
    for location, items in located:
        for name, value in items:
            if not isinstance(value, str):
                continue
            if "\x00" in value:
                raise invalid_parameter(
                    location, name, value, "must not contain NUL characters (U+0000)"
                )
            kind = typed.get((location, name))
            if kind is int and _overflows(value):
                raise invalid_parameter(
                    location, name, value, f"a whole number must lie within ±{MAX_RECORD_ID}"
                )
            if kind is date and _outside_the_calendar(value):
                raise invalid_parameter(
                    location,
                    name,
                    value,
                    f"a date must lie in the years {EARLIEST_YEAR}–{LATEST_YEAR}",
                )


def _overflows(value: str) -> bool:
    """Integers in paths, queries and forms are ids, versions, pages and counts: 32 bits hold
    them."""
    try:
        number = int(value)
    except ValueError:
        return False  # not a number at all: FastAPI's own validation names it
    return not -MAX_RECORD_ID - 1 <= number <= MAX_RECORD_ID


def _outside_the_calendar(value: str) -> bool:
    try:
        year = date.fromisoformat(value.strip()[:10]).year
    except ValueError:
        return False  # not a date at all: FastAPI's own validation names it
    return not EARLIEST_YEAR <= year <= LATEST_YEAR
