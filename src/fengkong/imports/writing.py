"""Check staged rows against the database, then write them set by set.

Every step is one SQL statement over the staging table: references are resolved by join, a row is
new when no stored row has its natural key and changed when a value it gives differs from the
stored one (empty cells never overwrite), and new rows are inserted and changed rows updated —
with ``RETURNING`` telling which customers were touched, for their events. An unchanged row is
not written at all, so importing the same data twice changes nothing.

Payments are special: each allocates its whole amount to the invoice it names, so new payments
also reduce their invoices' outstanding amounts (and mark fully paid invoices ``paid``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import islice
from typing import Any

import polars as pl
from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Connection,
    Select,
    Subquery,
    Table,
    Text,
    and_,
    bindparam,
    case,
    cast,
    exists,
    false,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.sql.dml import Insert, Update

from fengkong import tables
from fengkong.imports import problems, staging
from fengkong.imports.kinds import Column, ImportKind, Kind, Reference
from fengkong.imports.problems import Problem
from fengkong.imports.validation import ERROR_SCHEMA, ROW_NO, VALID, concat_errors
from fengkong.kit.money import Money
from fengkong.kit.provenance import DataSource
from fengkong.privacy.crypto import blind_index
from fengkong.privacy.fields import PersonalField, fields_of

SQLITE_IMPORT_CACHE_KIB = -256 * 1024  # negative: KiB rather than pages
MAX_EVENT_KEYS = 20
"""Natural keys listed in one customer's event; the counts are always complete."""


@dataclass(frozen=True, slots=True)
class Staged:
    """An import's staging table and what it holds."""

    kind: Kind
    table: Table
    columns: tuple[Column, ...]

    @property
    def references(self) -> tuple[Reference, ...]:
        return tuple(ref for ref in self.kind.references if ref.column in self.table.c)

    @property
    def target(self) -> Table:
        return tables.metadata.tables[self.kind.table]


@dataclass(frozen=True, slots=True)
class Stamp:
    """What every written row is stamped with."""

    run_id: int
    now: datetime
    today: date
    owner_id: int | None

    @property
    def source_ref(self) -> str:
        return str(self.run_id)


@dataclass(slots=True)
class Touched:
    """What an import did to one customer's records (the payload of its event)."""

    inserted: int = 0
    updated: int = 0
    keys: list[str] = field(default_factory=list)

    def add(self, count: int, keys: Iterable[str], *, inserted: bool) -> None:
        if inserted:
            self.inserted += count
        else:
            self.updated += count
        self.keys.extend(islice(keys, max(MAX_EVENT_KEYS - len(self.keys), 0)))

    @property
    def more(self) -> int:
        """Records touched beyond the keys listed."""
        return self.inserted + self.updated - len(self.keys)


@dataclass(slots=True)
class Written:
    customers: dict[int, Touched] = field(default_factory=dict)

    @property
    def inserted(self) -> int:
        return sum(touched.inserted for touched in self.customers.values())

    @property
    def updated(self) -> int:
        return sum(touched.updated for touched in self.customers.values())

    def add(self, customer_id: int, count: int, keys: Iterable[str], *, inserted: bool) -> None:
        self.customers.setdefault(int(customer_id), Touched()).add(count, keys, inserted=inserted)


def _apply(
    connection: Connection, statement: Insert | Update, written: Written, *, inserted: bool
) -> None:
    """Run an INSERT or UPDATE … RETURNING (customer id, *natural key) and count per customer
    what it wrote. PostgreSQL counts in the same statement (a data-modifying CTE), sparing a
    million rows the trip to Python; SQLite, which has no such CTE, streams them."""
    if connection.dialect.name == "postgresql":
        done = statement.cte("written")
        customer, *labels = list(done.c)
        key = func.concat_ws("/", *(cast(label, Text) for label in labels))
        some = func.array_agg(key, type_=ARRAY(Text))[1:MAX_EVENT_KEYS]
        counted = select(customer, func.count(), some).group_by(customer)
        for customer_id, count, listed in connection.execute(counted):
            written.add(customer_id, count, listed, inserted=inserted)
        return
    counts: dict[int, int] = {}
    keys: dict[int, list[str]] = {}
    for row in connection.execute(statement):
        customer_id = row[0]
        seen = counts.get(customer_id, 0)
        counts[customer_id] = seen + 1
        if seen < MAX_EVENT_KEYS:  # only the keys an event lists are ever spelled out
            keys.setdefault(customer_id, []).append("/".join(_label(part) for part in row[1:]))
    for customer_id, count in counts.items():
        written.add(customer_id, count, keys[customer_id], inserted=inserted)


def _label(value: object) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def lock(connection: Connection, kind: Kind) -> None:
    """Make imports that write the same tables take turns (PostgreSQL; SQLite's transactions
    already hold its single write lock). The second then sees the first's rows as stored."""
    if connection.dialect.name != "postgresql":
        return
    digest = hashlib.sha256(f"fengkong-import:{kind.lock}".encode()).digest()
    key = int.from_bytes(digest[:8], "big", signed=True)
    connection.execute(select(func.pg_advisory_xact_lock(key)))


def _table(name: str) -> Table:
    return tables.metadata.tables[name]


def _resolved(staged: Staged) -> Subquery:
    """The staged rows with the ids of the records they refer to (NULL where none matches),
    and, for references that must belong to the row's customer, that record's customer."""
    stage = staged.table
    joined: Any = stage
    columns: list[Any] = list(stage.c)
    for ref in staged.references:
        other = _table(ref.table).alias(f"ref_{ref.column}")
        joined = joined.outerjoin(other, other.c[ref.key] == stage.c[ref.column])
        columns += [other.c[source].label(target) for target, source in ref.provides.items()]
        columns.append(other.c.id.label(_found(ref)))
        if ref.same_customer:
            columns.append(other.c.customer_id.label(_owner(ref)))
    return select(*columns).select_from(joined).subquery("resolved")


def _found(ref: Reference) -> str:
    return f"{ref.column}__id"


def _owner(ref: Reference) -> str:
    return f"{ref.column}__customer_id"


def _key_match(target: Table | Any, resolved: Subquery, kind: Kind) -> ColumnElement[bool]:
    return and_(*(target.c[name] == resolved.c[name] for name in kind.key))


def _complete(staged: Staged, resolved: Subquery) -> ColumnElement[bool]:
    """A valid row whose required references all resolved (optional ones may be empty)."""
    conditions: list[ColumnElement[bool]] = [resolved.c[VALID] == true()]
    for ref in staged.references:
        column = staged.kind.column(ref.column)
        if column.required:
            conditions.append(resolved.c[_found(ref)].is_not(None))
        else:
            conditions.append(
                or_(resolved.c[ref.column].is_(None), resolved.c[_found(ref)].is_not(None))
            )
    return and_(*conditions)


# Checks against stored data -------------------------------------------------------------------


def check(
    connection: Connection, staged: Staged, *, visible: Select[tuple[int]] | None = None
) -> pl.DataFrame:
    """Problems only the database can see: unknown references, records that would move to
    another customer, payments that change or overpay, … (one row per problem).

    ``visible`` (the ids of the customers a scoped importer may see, ``None``: all) keeps the
    import inside the importer's access scope, which these Core statements do not pass through.
    """
    resolved = _resolved(staged)
    found: list[pl.DataFrame] = []
    if visible is not None:
        found += _outside_scope(connection, staged, resolved, visible)
    for ref in staged.references:
        found.append(
            _problems(
                connection,
                select(resolved.c[ROW_NO], resolved.c[ref.column]).where(
                    resolved.c[ref.column].is_not(None), resolved.c[_found(ref)].is_(None)
                ),
                ref.column,
                ref.problem,
            )
        )
        if ref.same_customer and "customer_id" in resolved.c:
            found.append(
                _problems(
                    connection,
                    select(resolved.c[ROW_NO], resolved.c[ref.column]).where(
                        resolved.c[_owner(ref)] != resolved.c.customer_id
                    ),
                    ref.column,
                    problems.OTHER_CUSTOMER,
                )
            )
    found.append(_moved_records(connection, staged, resolved))
    extra = _KIND_CHECKS.get(staged.kind.name)
    if extra is not None:
        found += extra(connection, staged, resolved)
    return concat_errors(found)


def _outside_scope(
    connection: Connection, staged: Staged, resolved: Subquery, visible: Select[tuple[int]]
) -> list[pl.DataFrame]:
    """A reference to a record of a customer outside the scope reads as unknown (its existence
    is not revealed); a customers file may not update a customer someone else looks after (a
    USCC is unique, so that row is refused, as creating the customer by hand is)."""
    found: list[pl.DataFrame] = []
    for ref in staged.references:
        referenced = _table(ref.table)
        if ref.table == tables.Customer.__tablename__:
            hidden: ColumnElement[bool] = resolved.c[_found(ref)].not_in(visible)
        elif "customer_id" in referenced.c:
            hidden = resolved.c[_found(ref)].in_(
                select(referenced.c.id).where(referenced.c.customer_id.not_in(visible))
            )
        else:
            continue
        query = select(resolved.c[ROW_NO], resolved.c[ref.column]).where(hidden)
        found.append(_problems(connection, query, ref.column, ref.problem))
    if staged.target.name == tables.Customer.__tablename__:
        stored = staged.target.alias("stored")
        key = staged.kind.key[0]
        query = (
            select(resolved.c[ROW_NO], resolved.c[key])
            .select_from(resolved.join(stored, _key_match(stored, resolved, staged.kind)))
            .where(stored.c.id.not_in(visible))
        )
        column = next(column.name for column in staged.kind.columns if column.staged == key)
        found.append(_problems(connection, query, column, problems.NOT_YOUR_CUSTOMER))
    return found


def _problems(
    connection: Connection,
    query: Select[Any],
    column: str,
    problem: Problem,
    detail: Callable[[Sequence[Any]], str] | None = None,
) -> pl.DataFrame:
    """Run ``query`` (row number, value, *more) and describe each row it returns as ``problem``
    at ``column``; ``detail`` formats the row's remaining values."""
    rows = connection.execute(query).all()
    return pl.DataFrame(
        {
            "row": [row[0] for row in rows],
            "column": [column] * len(rows),
            "value": [None if row[1] is None else _label(row[1]) for row in rows],
            "code": [problem.code] * len(rows),
            "detail": [detail(row[2:]) if detail else "" for row in rows],
        },
        schema=ERROR_SCHEMA,
    )


def _money(minor: int, currency: str) -> str:
    return str(Money.from_minor_units(minor, currency))


def _moved_records(connection: Connection, staged: Staged, resolved: Subquery) -> pl.DataFrame:
    """A stored invoice, order or contract cannot change customer through an import."""
    kind = staged.kind
    target = staged.target
    if (
        "customer_id" in kind.key
        or "customer_id" not in target.c
        or "customer_id" not in resolved.c
    ):
        return pl.DataFrame(schema=ERROR_SCHEMA)
    if kind.name is ImportKind.PAYMENTS:  # its customer is its invoice's: see _payment_checks
        return pl.DataFrame(schema=ERROR_SCHEMA)
    stored = target.alias("stored")
    owner = tables.Customer.__table__.alias("owner")
    key = kind.key[0]
    query = (
        select(resolved.c[ROW_NO], resolved.c[key], owner.c.uscc)
        .select_from(resolved.join(stored, _key_match(stored, resolved, kind)))
        .join(owner, owner.c.id == stored.c.customer_id)
        .where(stored.c.customer_id != resolved.c.customer_id)
    )
    column = next(column.name for column in kind.columns if column.staged == key)
    return _problems(
        connection, query, column, problems.CUSTOMER_CHANGED, lambda more: str(more[0])
    )


def _invoice_checks(
    connection: Connection, staged: Staged, resolved: Subquery
) -> list[pl.DataFrame]:
    """A stored invoice's amount cannot fall below what was paid on it, nor its currency change
    once something was paid."""
    if "amount_minor" not in resolved.c:
        return []
    stored = staged.target.alias("stored")
    paid = stored.c.amount_minor - stored.c.outstanding_minor
    joined = resolved.join(stored, _key_match(stored, resolved, staged.kind))
    below = (
        select(resolved.c[ROW_NO], resolved.c.amount_minor, paid, stored.c.currency)
        .select_from(joined)
        .where(paid > resolved.c.amount_minor)
    )
    recurrenced = (
        select(resolved.c[ROW_NO], resolved.c.currency, stored.c.currency)
        .select_from(joined)
        .where(paid > 0, resolved.c.currency != stored.c.currency)
    )
    return [
        _problems(
            connection,
            below,
            "amount",
            problems.AMOUNT_BELOW_PAID,
            lambda more: _money(more[0], more[1]),
        ),
        _problems(
            connection,
            recurrenced,
            "currency",
            problems.CURRENCY_CHANGED,
            lambda more: str(more[0]),
        ),
    ]


def _statement_checks(
    connection: Connection, staged: Staged, resolved: Subquery
) -> list[pl.DataFrame]:
    """Lines left out of a file keep their stored amounts, so a stored statement's currency
    cannot change under them."""
    stored = staged.target.alias("stored")
    query = (
        select(resolved.c[ROW_NO], resolved.c.currency, stored.c.currency)
        .select_from(resolved.join(stored, _key_match(stored, resolved, staged.kind)))
        .where(resolved.c.currency != stored.c.currency)
    )
    return [
        _problems(
            connection, query, "currency", problems.CURRENCY_CHANGED, lambda more: str(more[0])
        )
    ]


def _payment_checks(
    connection: Connection, staged: Staged, resolved: Subquery
) -> list[pl.DataFrame]:
    invoices = _table("invoices").alias("invoice")
    payments = _table("payments").alias("stored")
    allocations = _table("payment_allocations")
    customers = tables.Customer.__table__.alias("owner")
    rows = resolved.join(
        invoices, invoices.c.invoice_number == resolved.c.invoice_number
    ).outerjoin(payments, payments.c.payment_reference == resolved.c.payment_reference)
    allocated_as_given = exists(
        select(allocations.c.id).where(
            allocations.c.payment_id == payments.c.id,
            allocations.c.invoice_id == invoices.c.id,
            allocations.c.amount_minor == resolved.c.amount_minor,
        )
    )
    changed = (
        select(resolved.c[ROW_NO], resolved.c.payment_reference)
        .select_from(rows)
        .where(
            payments.c.id.is_not(None),
            or_(
                payments.c.amount_minor != resolved.c.amount_minor,
                payments.c.currency != resolved.c.currency,
                ~allocated_as_given,
            ),
        )
    )
    mismatched = (
        select(resolved.c[ROW_NO], resolved.c.currency, invoices.c.currency)
        .select_from(rows)
        .where(resolved.c.currency != invoices.c.currency)
    )
    cancelled = (
        select(resolved.c[ROW_NO], resolved.c.invoice_number)
        .select_from(rows)
        .where(payments.c.id.is_(None), invoices.c.status == "cancelled")
    )
    checks = [
        _problems(connection, changed, "payment_reference", problems.PAYMENT_CHANGED),
        _problems(
            connection,
            mismatched,
            "currency",
            problems.CURRENCY_MISMATCH,
            lambda more: str(more[0]),
        ),
        _problems(connection, cancelled, "invoice_number", problems.INVOICE_CANCELLED),
    ]
    if "customer_uscc" in resolved.c:
        elsewhere = (
            select(resolved.c[ROW_NO], resolved.c.invoice_number)
            .select_from(rows.join(customers, customers.c.id == invoices.c.customer_id))
            .where(
                resolved.c.customer_uscc.is_not(None),
                customers.c.uscc != resolved.c.customer_uscc,
            )
        )
        checks.append(_problems(connection, elsewhere, "invoice_number", problems.OTHER_CUSTOMER))
    new = (
        select(
            resolved.c[ROW_NO],
            resolved.c.invoice_number,
            resolved.c.amount_minor,
            func.sum(resolved.c.amount_minor)
            .over(partition_by=resolved.c.invoice_number, order_by=resolved.c[ROW_NO])
            .label("running"),
            invoices.c.outstanding_minor,
            invoices.c.currency,
        )
        .select_from(rows)
        .where(
            payments.c.id.is_(None),
            resolved.c[VALID] == true(),
            resolved.c.currency == invoices.c.currency,
        )
        .subquery("new")
    )
    overpaid = select(
        new.c[ROW_NO], new.c.invoice_number, new.c.running, new.c.outstanding_minor, new.c.currency
    ).where(new.c.running > new.c.outstanding_minor)
    checks.append(
        _problems(
            connection,
            overpaid,
            "invoice_number",
            problems.OVERPAID,
            lambda more: f"{_money(more[1], more[2])} < {_money(more[0], more[2])}",
        )
    )
    return checks


_KIND_CHECKS: Mapping[ImportKind, Callable[[Connection, Staged, Subquery], list[pl.DataFrame]]] = {
    ImportKind.INVOICES: _invoice_checks,
    ImportKind.FINANCIAL_STATEMENTS: _statement_checks,
    ImportKind.PAYMENTS: _payment_checks,
}


def exclude(connection: Connection, staged: Staged, rows: pl.Series) -> None:
    """Mark rejected rows (by checks that needed the whole file or the database) invalid, so a
    partial import leaves them out."""
    if not len(rows):
        return
    rejected = staging.row_numbers_table()
    staging.create(connection, rejected)
    staging.load(connection, rejected, rows.to_frame(ROW_NO))
    stage = staged.table
    connection.execute(
        update(stage)
        .where(stage.c[ROW_NO].in_(select(rejected.c[ROW_NO])))
        .values({VALID: false()})
    )
    staging.drop(connection, rejected)


# Writing --------------------------------------------------------------------------------------


def preview(connection: Connection, staged: Staged) -> tuple[int, int]:
    """How many rows would be inserted and how many would update a stored record."""
    resolved = _resolved(staged)
    target = staged.target
    stored = target.alias("stored")
    complete = _complete(staged, resolved)
    new = select(func.count()).where(
        complete, ~exists(select(stored.c.id).where(_key_match(stored, resolved, staged.kind)))
    )
    changed = (
        select(func.count())
        .select_from(resolved.join(stored, _key_match(stored, resolved, staged.kind)))
        .where(complete, _changed(staged, resolved, stored))
    )
    return int(connection.scalar(new) or 0), int(connection.scalar(changed) or 0)


def merge(connection: Connection, staged: Staged, stamp: Stamp) -> Written:
    """Insert the new records and update the changed ones; return what was touched."""
    written = Written()
    if staged.kind.name is ImportKind.PAYMENTS:
        _settle_invoices(connection, staged, stamp)
    _apply(connection, _update(staged, stamp), written, inserted=False)
    _apply(connection, _insert(staged, stamp), written, inserted=True)
    _write_personal(connection, staged, stamp, written)
    if staged.kind.name is ImportKind.PAYMENTS:
        _allocate(connection, staged)
    return written


def _stamped(target: Table, stamp: Stamp) -> dict[str, Any]:
    values: dict[str, Any] = {
        "source": literal(DataSource.IMPORT.value),
        "source_ref": literal(stamp.source_ref),
        "sourced_at": literal(stamp.now, target.c.sourced_at.type),
        "updated_at": literal(stamp.now, target.c.updated_at.type),
    }
    return values


def _returning(staged: Staged, table: Table) -> list[ColumnElement[Any]]:
    customer = table.c.id if staged.kind.name is ImportKind.CUSTOMERS else table.c.customer_id
    return [customer, *(table.c[name] for name in staged.kind.labels)]


def _personal(staged: Staged) -> tuple[PersonalField, ...]:
    """Encrypted columns the file gives: written by ``_write_personal``, never by set SQL."""
    given = {column.staged for column in staged.columns}
    return tuple(field for field in fields_of(staged.kind.table) if field.column in given)


def _write_personal(connection: Connection, staged: Staged, stamp: Stamp, written: Written) -> None:
    """Encrypt the personal values the file gives and store them where they differ.

    ``INSERT … SELECT`` and ``UPDATE … FROM`` would copy the staged plaintext as it is, so these
    columns are written here through their column type, which encrypts; a value is compared by
    its blind index, the stored ciphertext being different every time."""
    personal = _personal(staged)
    if not personal:
        return
    target = staged.target
    resolved = _resolved(staged)
    customer, *labels = _returning(staged, target)
    rows = connection.execute(
        select(
            target.c.id,
            customer,
            *labels,
            *(resolved.c[field.column] for field in personal),
            *(target.c[field.blind_index] for field in personal),
        ).where(_key_match(target, resolved, staged.kind), _complete(staged, resolved))
    ).all()
    already: list[dict[str, Any]] = []
    only_personal: list[dict[str, Any]] = []
    for row in rows:
        plain = row[2 + len(labels) : 2 + len(labels) + len(personal)]
        stored = row[2 + len(labels) + len(personal) :]
        values: dict[str, Any] = {}
        for personal_field, value, stored_index in zip(personal, plain, stored, strict=True):
            index = blind_index(personal_field.kind, value)
            if value is not None and index != stored_index:
                values |= {personal_field.column: value, personal_field.blind_index: index}
        if not values:
            continue
        values["personal_row_id"] = row.id
        if int(row[1]) in written.customers:
            already.append(values)
            continue
        only_personal.append(values)
        written.add(
            row[1], 1, ["/".join(_label(part) for part in row[2 : 2 + len(labels)])], inserted=False
        )
    statement = update(target).where(target.c.id == bindparam("personal_row_id"))
    for batch in _same_keys(already):
        connection.execute(statement, batch)
    for batch in _same_keys(only_personal):
        connection.execute(
            statement.values(_stamped(target, stamp) | {"version": target.c.version + 1}), batch
        )


def _same_keys(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """Rows grouped by the columns they set (an executemany needs the same keys in each)."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(sorted(row)), []).append(row)
    yield from groups.values()


def _given(staged: Staged, resolved: Subquery) -> list[str]:
    """Target columns the file gives values for: staged ones and those references provide."""
    target = staged.target
    skipped = {field.column for field in _personal(staged)}
    names = [
        column.staged
        for column in staged.columns
        if column.staged in target.c and column.staged not in skipped
    ]
    for ref in staged.references:
        names += [name for name in ref.provides if name in target.c and name in resolved.c]
    return list(dict.fromkeys(names))


def _insert(staged: Staged, stamp: Stamp) -> Insert:
    kind = staged.kind
    target = staged.target
    resolved = _resolved(staged)
    stored = target.alias("stored")
    values: dict[str, Any] = {}
    for name in _given(staged, resolved):
        default = kind.new_row_values.get(name)
        value = resolved.c[name]
        values[name] = value if default is None else func.coalesce(value, literal(default))
    for name, default in kind.new_row_values.items():
        values.setdefault(name, literal(default))
    values |= _INSERT_EXTRAS.get(kind.name, _nothing)(resolved, stamp)
    values |= _stamped(target, stamp) | {
        "created_at": literal(stamp.now, target.c.created_at.type),
        "version": literal(1),
    }
    rows = select(*(value.label(name) for name, value in values.items())).where(
        _complete(staged, resolved),
        ~exists(select(stored.c.id).where(_key_match(stored, resolved, kind))),
    )
    return insert(target).from_select(list(values), rows).returning(*_returning(staged, target))


def _nothing(_resolved: Subquery, _stamp: Stamp) -> dict[str, Any]:
    return {}


def _updatable(staged: Staged, resolved: Subquery) -> list[str]:
    return [
        name
        for name in _given(staged, resolved)
        if name not in staged.kind.key and name != "customer_id"
    ]


def _changed(staged: Staged, resolved: Subquery, stored: Table | Any) -> ColumnElement[bool]:
    """Some value given in the file differs from the stored one (NULL-safe)."""
    differences = [
        and_(resolved.c[name].is_not(None), stored.c[name].is_distinct_from(resolved.c[name]))
        for name in _updatable(staged, resolved)
    ]
    return or_(*differences) if differences else false()


def _update(staged: Staged, stamp: Stamp) -> Update:
    kind = staged.kind
    target = staged.target
    resolved = _resolved(staged)
    values: dict[str, Any] = {
        name: func.coalesce(resolved.c[name], target.c[name])
        for name in _updatable(staged, resolved)
    }
    values |= _UPDATE_EXTRAS.get(kind.name, _nothing)(resolved, stamp)
    values |= _stamped(target, stamp) | {"version": target.c.version + 1}
    return (
        update(target)
        .where(
            _key_match(target, resolved, kind),
            _complete(staged, resolved),
            _changed(staged, resolved, target),
        )
        .values(values)
        .returning(*_returning(staged, target))
    )


def _invoice_inserted(resolved: Subquery, _stamp: Stamp) -> dict[str, Any]:
    return {"outstanding_minor": resolved.c.amount_minor}


def _invoice_updated(resolved: Subquery, _stamp: Stamp) -> dict[str, Any]:
    """A changed amount moves the outstanding amount by as much (what was paid stays paid)."""
    invoices = _table("invoices")
    if "amount_minor" not in resolved.c:
        return {}
    amount = func.coalesce(resolved.c.amount_minor, invoices.c.amount_minor)
    outstanding = invoices.c.outstanding_minor + amount - invoices.c.amount_minor
    return {"outstanding_minor": outstanding, "status": _settled_status(invoices, outstanding)}


def _settled_status(invoices: Table, outstanding: ColumnElement[Any]) -> ColumnElement[Any]:
    return case(
        (and_(invoices.c.status == "open", outstanding == 0), literal("paid")),
        (and_(invoices.c.status == "paid", outstanding > 0), literal("open")),
        else_=invoices.c.status,
    )


def _customer_inserted(_resolved: Subquery, stamp: Stamp) -> dict[str, Any]:
    """As when created one by one: the importing user owns the customers they bring in."""
    return {"owner_id": literal(stamp.owner_id) if stamp.owner_id is not None else null()}


def _statement_inserted(resolved: Subquery, stamp: Stamp) -> dict[str, Any]:
    """A statement without a publication date became known when it was imported (point-in-time
    features must not see it earlier)."""
    today = literal(stamp.today, _table("financial_statements").c.published_on.type)
    if "published_on" not in resolved.c:
        return {"published_on": today}
    return {"published_on": func.coalesce(resolved.c.published_on, today)}


_INSERT_EXTRAS: Mapping[ImportKind, Callable[[Subquery, Stamp], dict[str, Any]]] = {
    ImportKind.INVOICES: _invoice_inserted,
    ImportKind.CUSTOMERS: _customer_inserted,
    ImportKind.FINANCIAL_STATEMENTS: _statement_inserted,
}
_UPDATE_EXTRAS: Mapping[ImportKind, Callable[[Subquery, Stamp], dict[str, Any]]] = {
    ImportKind.INVOICES: _invoice_updated,
}


def _new_payments(staged: Staged) -> Select[Any]:
    stage = staged.table
    payments = _table("payments")
    return (
        select(stage.c.invoice_number, func.sum(stage.c.amount_minor).label("paid"))
        .where(
            stage.c[VALID] == true(),
            ~exists(
                select(payments.c.id).where(
                    payments.c.payment_reference == stage.c.payment_reference
                )
            ),
        )
        .group_by(stage.c.invoice_number)
    )


def _settle_invoices(connection: Connection, staged: Staged, stamp: Stamp) -> None:
    """Reduce each invoice's outstanding amount by the new payments to it (before they are
    inserted, while "new" still means "not stored")."""
    invoices = _table("invoices")
    paid = _new_payments(staged).subquery("paid")
    outstanding = invoices.c.outstanding_minor - paid.c.paid
    connection.execute(
        update(invoices)
        .where(invoices.c.invoice_number == paid.c.invoice_number)
        .values(
            outstanding_minor=outstanding,
            status=_settled_status(invoices, outstanding),
            version=invoices.c.version + 1,
            **_stamped(invoices, stamp),
        )
    )


def _allocate(connection: Connection, staged: Staged) -> None:
    """Each new payment settles the invoice it names with its whole amount."""
    stage = staged.table
    payments = _table("payments")
    invoices = _table("invoices")
    allocations = _table("payment_allocations")
    rows = (
        select(payments.c.id, invoices.c.id, stage.c.amount_minor)
        .select_from(stage)
        .join(payments, payments.c.payment_reference == stage.c.payment_reference)
        .join(invoices, invoices.c.invoice_number == stage.c.invoice_number)
        .where(
            stage.c[VALID] == true(),
            ~exists(select(allocations.c.id).where(allocations.c.payment_id == payments.c.id)),
        )
    )
    connection.execute(
        insert(allocations).from_select(["payment_id", "invoice_id", "amount_minor"], rows)
    )


@contextmanager
def roomy_cache(connection: Connection) -> Iterator[None]:
    """A 256 MB SQLite page cache while an import writes, then the connection's own again: with
    the default 2 MB, a million-row insert writes index pages out and reads them back over and
    over (a third slower)."""
    if connection.dialect.name != "sqlite":
        yield
        return
    previous = int(connection.exec_driver_sql("PRAGMA cache_size").scalar_one())
    connection.exec_driver_sql(f"PRAGMA cache_size = {SQLITE_IMPORT_CACHE_KIB}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size = {previous}")
