"""Parameters shared by routes: pages, keyset cursors, currency filters, today's business date,
and 422s that name a parameter."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel

from fengkong.kit.keyset import KeysetPage
from fengkong.kit.money import MoneyError, normalise_currency
from fengkong.kit.pagination import MAX_PAGE_SIZE, Page, PageRequest
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
