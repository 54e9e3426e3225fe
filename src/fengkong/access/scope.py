"""One mechanism scopes every customer-bound read to what the session's actor may see.

An actor without ``customers:all`` (sales) sees the customers they own and those whose region
code starts with their own region (a 2-, 4- or 6-digit administrative-division prefix). Rather
than trusting every route, list, export and report to add a filter, ``install`` hooks the
session: each ORM SELECT run while such an actor is ``session.info["actor"]`` gets loader
criteria for ``Customer`` and for every mapped class with a ``customer_id`` column, so an
out-of-scope row is simply not there — callers answer "not found", never revealing it exists.

Reads that bypass the ORM (Core statements on ``Table`` objects, polars readers) do not pass
through this hook; the few that a scoped actor can reach ask ``visible_customer_ids`` instead.
"""

from __future__ import annotations

from functools import cache
from typing import Any, Final

from sqlalchemy import ColumnElement, Select, event, false, or_, select
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker, with_loader_criteria
from sqlalchemy.sql.schema import Column

from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.customers.models import Customer
from fengkong.db import Base

# Execution option that lifts the scope for one statement: for existence checks that must see
# the whole book (a USCC is unique across all customers), never for returning rows to a caller.
WHOLE_BOOK: Final = "fengkong_whole_book"

_CUSTOMERS = Customer.__table__


def scoped_actor(session: Session) -> Actor | None:
    """The session's actor when its reads are limited to a scope, else ``None``."""
    actor = session.info.get("actor")
    if isinstance(actor, Actor) and not sees_every_customer(actor):
        return actor
    return None


def sees_every_customer(actor: Actor) -> bool:
    """Whether the actor reads the whole book (portfolio figures, every customer)."""
    return actor.can(Permission.CUSTOMERS_ALL)


def _in_scope(owner_id: Any, region_code: Any, actor: Actor) -> ColumnElement[bool]:
    owned = owner_id == actor.user_id if actor.user_id is not None else false()
    if not actor.region_code:
        return owned
    return or_(owned, region_code.startswith(actor.region_code, autoescape=True))


def customer_scope(actor: Actor) -> ColumnElement[bool]:
    """The predicate on ``customers`` of the customers ``actor`` may see."""
    return _in_scope(_CUSTOMERS.c.owner_id, _CUSTOMERS.c.region_code, actor)


def visible_customer_ids(actor: Actor) -> Select[tuple[int]]:
    """The ids of the customers ``actor`` may see, as a subquery for reads that bypass the ORM."""
    return select(_CUSTOMERS.c.id).where(customer_scope(actor))


@cache
def _customer_bound_classes() -> tuple[tuple[type[Any], bool], ...]:
    """Every mapped class with a ``customer_id`` column, and whether that column may be NULL
    (such rows, e.g. outbox events of no customer, belong to no customer and stay visible).
    Read at the first scoped query, when ``fengkong.tables`` (imported by ``open_database``)
    has mapped every model."""
    bound: list[tuple[type[Any], bool]] = []
    for mapper in Base.registry.mappers:
        column = mapper.local_table.c.get("customer_id")
        if isinstance(column, Column) and mapper.class_ is not Customer:
            bound.append((mapper.class_, bool(column.nullable)))
    return tuple(sorted(bound, key=lambda pair: pair[0].__name__))


def _criteria(actor: Actor) -> list[Any]:
    visible = visible_customer_ids(actor)
    options: list[Any] = [
        with_loader_criteria(
            Customer,
            _in_scope(Customer.owner_id, Customer.region_code, actor),
            include_aliases=True,
        )
    ]
    for cls, nullable in _customer_bound_classes():
        column = cls.customer_id
        criterion = or_(column.is_(None), column.in_(visible)) if nullable else column.in_(visible)
        options.append(with_loader_criteria(cls, criterion, include_aliases=True))
    return options


def _limit_to_scope(state: ORMExecuteState) -> None:
    # Column refreshes and relationship loads belong to objects a scoped query already admitted
    # (the criteria propagate to their loaders), as in SQLAlchemy's own recipe.
    if not state.is_select or state.is_column_load or state.is_relationship_load:
        return
    if state.execution_options.get(WHOLE_BOOK, False):
        return
    actor = scoped_actor(state.session)
    if actor is not None:
        state.statement = state.statement.options(*_criteria(actor))


class ScopedSession(Session):
    """A session whose ``get`` of a customer-bound object asks the database while the actor is
    scoped, instead of answering from the identity map (which may hold an object loaded
    before the actor was set, e.g. by a unit of work shared with a system task)."""

    def get(self, entity: Any, ident: Any, **kwargs: Any) -> Any:
        if kwargs.get("populate_existing") is None and _scope_applies(self, entity):
            kwargs["populate_existing"] = True
        return super().get(entity, ident, **kwargs)


def _scope_applies(session: Session, entity: Any) -> bool:
    if scoped_actor(session) is None:
        return False
    return entity is Customer or any(entity is cls for cls, _ in _customer_bound_classes())


def install(target: sessionmaker[Session]) -> None:
    event.listen(target, "do_orm_execute", _limit_to_scope)


__all__ = [
    "WHOLE_BOOK",
    "ScopedSession",
    "customer_scope",
    "install",
    "scoped_actor",
    "sees_every_customer",
    "visible_customer_ids",
]
