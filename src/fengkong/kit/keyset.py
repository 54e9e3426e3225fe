"""Keyset ("seek") pagination for the high-volume lists.

An OFFSET makes the database walk past every skipped row, so page 20,000 of the invoice ledger costs
20,000 pages of work. Here each page starts strictly after the last row of the previous one, on the
sort column plus the primary key as tie-breaker, so every page costs the same. The cursor is opaque
to clients (base64 of JSON) but not secret: forging one only moves where a page starts, the
caller's filters still apply.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, literal, tuple_
from sqlalchemy.orm import InstrumentedAttribute, Session

T = TypeVar("T")

_SORTABLE_TYPES: tuple[type, ...] = (date, int, str)


class InvalidCursor(ValueError):
    """A cursor this list did not issue, or one issued for another sort order."""


@dataclass(frozen=True, slots=True)
class KeysetOrder:
    """One whitelisted sort: ``column`` then the primary key ``key``, both in one direction."""

    name: str
    column: InstrumentedAttribute[Any]
    key: InstrumentedAttribute[Any]
    descending: bool = False

    def __post_init__(self) -> None:
        for attribute in (self.column, self.key):
            if _python_type(attribute) not in _SORTABLE_TYPES:
                raise TypeError(f"keyset sort {self.name!r} cannot order by {attribute.key}")


@dataclass(frozen=True, slots=True)
class KeysetPage(Generic[T]):
    items: Sequence[T]
    next_cursor: str | None
    page_size: int


def _python_type(attribute: InstrumentedAttribute[Any]) -> type:
    python_type: type = attribute.property.columns[0].type.python_type
    return python_type


def _to_json(value: object) -> object:
    return value.isoformat() if isinstance(value, date) else value


def _from_json(value: object, attribute: InstrumentedAttribute[Any]) -> object:
    expected = _python_type(attribute)
    if expected is date and isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError as exc:
            raise InvalidCursor("the cursor holds a malformed date") from exc
    if isinstance(value, expected) and not isinstance(value, bool):
        return value
    raise InvalidCursor("the cursor does not fit this list")


def encode_cursor(order: KeysetOrder, row: object) -> str:
    values = [order.name, _to_json(getattr(row, order.column.key)), getattr(row, order.key.key)]
    text = json.dumps(values, separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(order: KeysetOrder, cursor: str) -> tuple[object, object]:
    """The (sort value, key) a page continues after; ``InvalidCursor`` if it is not ours."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
    except (binascii.Error, UnicodeError, ValueError) as exc:
        raise InvalidCursor("the cursor is not one this list issued") from exc
    if not isinstance(values, list) or len(values) != 3:
        raise InvalidCursor("the cursor is not one this list issued")
    name, value, key = values
    if name != order.name:
        raise InvalidCursor(f"the cursor was issued for sort {name!r}, not {order.name!r}")
    return _from_json(value, order.column), _from_json(key, order.key)


def keyset_page(
    session: Session,
    statement: Select[T],
    order: KeysetOrder,
    *,
    after: str | None,
    page_size: int,
) -> KeysetPage[T]:
    """The ``page_size`` rows of ``statement`` that follow ``after`` in ``order``."""
    sort_key = tuple_(order.column, order.key)
    if after is not None:
        value, key = decode_cursor(order, after)
        bound = tuple_(literal(value, order.column.type), literal(key, order.key.type))
        statement = statement.where(sort_key < bound if order.descending else sort_key > bound)
    if order.descending:
        statement = statement.order_by(order.column.desc(), order.key.desc())
    else:
        statement = statement.order_by(order.column.asc(), order.key.asc())
    rows = session.scalars(statement.limit(page_size + 1)).all()
    items = rows[:page_size]
    more = len(rows) > page_size
    return KeysetPage(
        items=items,
        next_cursor=encode_cursor(order, items[-1]) if more else None,
        page_size=page_size,
    )
