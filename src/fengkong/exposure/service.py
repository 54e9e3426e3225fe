"""Exposure use cases: a customer's exposure and expected loss, the fast read the order credit
check makes, related-party groups, the portfolio, mitigants, invoice disputes and exchange
rates. Callers own the transaction; nothing here commits (docs/exposure.md).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from fengkong.auth import service as auth_service
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.customers import service as customers_service
from fengkong.errors import Conflict, NotFound, ValidationFailed
from fengkong.exposure import ledger
from fengkong.exposure.ageing import BUCKETS, NOT_DUE, Ageing, OpenItem, age
from fengkong.exposure.concentration import (
    Concentration,
    component_of,
    concentration,
    connected_groups,
)
from fengkong.exposure.config import LgdConfig, shipped
from fengkong.exposure.loss import (
    ExposureFigures,
    ExposureInputs,
    Protection,
    compose,
    covered_by,
)
from fengkong.exposure.models import ExposureSnapshot, FxRate, InvoiceDispute, Mitigant
from fengkong.exposure.results import (
    CREDIT_CURRENCY,
    Breakdown,
    CreditExposure,
    CustomerExposure,
    GroupExposure,
    GroupMember,
    LossRanked,
    PortfolioExposure,
    PortfolioSummary,
    Ranked,
)
from fengkong.exposure.schemas import (
    DisputeCreate,
    DisputeResolve,
    FxRateIn,
    MitigantCreate,
    MitigantUpdate,
)
from fengkong.exposure.status import (
    DISPUTE_TRANSITIONS,
    MITIGANT_TRANSITIONS,
    DisputeStatus,
    MitigantStatus,
)
from fengkong.json_insert import changed, insert_as_json
from fengkong.kit.id_sets import id_sets
from fengkong.kit.money import Money, MoneyError, currency_exponent, normalise_currency
from fengkong.kit.plain_rows import flushed_connection
from fengkong.kit.time import business_today, utcnow
from fengkong.ledger_rows import LedgerRows
from fengkong.receivables import service as receivables_service
from fengkong.receivables.status import InvoiceStatus
from fengkong.records import (
    archive,
    change_status,
    check_version,
    ensure_not_archived,
    field_error,
)
from fengkong.risk import service as risk_service
from fengkong.settings import get_settings

MAX_GROUP_MEMBERS = 500
_ID_CHUNK = 500
"""Customers per ``IN (…)`` list when named ones are refreshed."""
UNKNOWN = "unknown"
UNRATED = "unrated"


class MitigantNotFound(NotFound):
    code = "mitigant_not_found"


class DisputeNotFound(NotFound):
    code = "dispute_not_found"


class DisputeExceedsOutstanding(ValidationFailed):
    code = "dispute_exceeds_outstanding"


class InvoiceNotDisputable(ValidationFailed):
    code = "invoice_not_disputable"


class DisputeAlreadyResolved(Conflict):
    code = "dispute_already_resolved"


class MitigantNotActive(Conflict):
    code = "mitigant_not_active"


def _today() -> date:
    return business_today(get_settings().zone)


# --- currency -------------------------------------------------------------------------------


def convert(amount: int, currency: str, rate: Decimal) -> int:
    """``amount`` minor units of ``currency`` in minor units of the credit currency, half up."""
    shift = currency_exponent(CREDIT_CURRENCY) - currency_exponent(currency)
    value = Decimal(amount) * rate * Decimal(10) ** shift
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass
class _Converter:
    """Converts into the credit currency; amounts with no rate are kept aside, not guessed."""

    rates: dict[str, Decimal]
    unconverted: dict[str, int] = field(default_factory=dict)

    def __call__(self, amount: int, currency: str) -> int:
        if currency == CREDIT_CURRENCY:
            return amount
        rate = self.rates.get(currency)
        if rate is None:
            self.unconverted[currency] = self.unconverted.get(currency, 0) + amount
            return 0
        return convert(amount, currency, rate)


def _converter(session: Session, as_of: date, currencies: Iterable[str]) -> _Converter:
    foreign = {currency for currency in currencies if currency != CREDIT_CURRENCY}
    return _Converter(ledger.fx_rates_on(session, as_of, foreign) if foreign else {})


# --- one customer ---------------------------------------------------------------------------


def _ageing(items: Sequence[ledger.InvoiceRow], convert_to: _Converter, as_of: date) -> Ageing:
    def disputed(item: ledger.InvoiceRow) -> int:
        # The disputed part of an amount without a rate is already in ``unconverted``.
        if item.currency != CREDIT_CURRENCY and item.currency not in convert_to.rates:
            return 0
        return convert_to(item.disputed, item.currency)

    return age(
        (
            OpenItem(item.due_date, convert_to(item.outstanding, item.currency), disputed(item))
            for item in items
        ),
        as_of,
    )


def _sums(rows: Iterable[ledger.AmountRow], convert_to: _Converter) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for row in rows:
        totals[row.kind] += convert_to(row.amount, row.currency)
    return totals


def credit_exposure_fast(session: Session, customer_id: int, *, as_of: date) -> CreditExposure:
    """Receivables, open orders, overdue figures, disputes and unapplied cash of one customer,
    in one aggregate query (a second reads exchange rates, only for foreign currencies)."""
    items, amounts = ledger.balances(session, customer_id)
    convert_to = _converter(
        session, as_of, [item.currency for item in items] + [row.currency for row in amounts]
    )
    ageing = _ageing(items, convert_to, as_of)
    sums = _sums(amounts, convert_to)
    return CreditExposure(
        customer_id=customer_id,
        as_of=as_of,
        currency=CREDIT_CURRENCY,
        open_receivables=ageing.open_receivables,
        open_orders=sums[ledger.ORDERS],
        overdue=ageing.overdue,
        overdue_weighted=ageing.overdue_weighted,
        oldest_days_past_due=ageing.oldest_days_past_due,
        disputed=ageing.disputed,
        unapplied_payments=sums[ledger.UNAPPLIED],
        overdue_undisputed=ageing.overdue_undisputed,
        overdue_weighted_undisputed=ageing.overdue_weighted_undisputed,
        oldest_days_past_due_undisputed=ageing.oldest_days_past_due_undisputed,
        unconverted=dict(convert_to.unconverted),
    )


def _protections(
    rows: Iterable[ledger.MitigantRow], config: LgdConfig, convert_to: _Converter
) -> list[Protection]:
    return [
        Protection(
            mitigant_id=row.mitigant_id,
            kind=row.kind,
            covered=convert_to(covered_by(row.amount, row.haircut), row.currency),
            lgd=config.terms(row.kind).lgd,
        )
        for row in rows
    ]


def customer_exposure(session: Session, customer_id: int, *, as_of: date) -> CustomerExposure:
    """The customer's exposure composed, mitigated and turned into expected loss as of
    ``as_of`` (ageing date; balances are today's). Reads no permission: see ``get_exposure``."""
    config = shipped()
    customer = customers_service.find_customer(session, customer_id)
    items = ledger.open_items(session, customer_id)
    amounts = ledger.orders_and_unapplied(session, [customer_id])
    commitments = ledger.contract_commitments(session, as_of, [customer_id])
    mitigants = ledger.mitigants_in_force(session, as_of, [customer_id])
    convert_to = _converter(
        session,
        as_of,
        [
            *(row.currency for row in items),
            *(row.currency for row in amounts),
            *(row.currency for row in commitments),
            *(row.currency for row in mitigants),
        ],
    )
    ageing = _ageing(items, convert_to, as_of)
    sums = _sums([*amounts, *commitments], convert_to)
    rating = risk_service.ratings_of(session, [customer_id]).get(customer_id)
    industry_lgd = config.industry_lgd_of(customer.industry_code if customer else None)
    figures = compose(
        ExposureInputs(
            open_receivables=ageing.open_receivables,
            open_orders=sums[ledger.ORDERS],
            contract_commitments=sums["commitment"],
            unapplied_payments=sums[ledger.UNAPPLIED],
            protections=_protections(mitigants, config, convert_to),
            industry_lgd=industry_lgd,
            commitment_ccf=config.commitment_ccf,
            pd=rating.pd if rating else None,
        )
    )
    return CustomerExposure(
        customer_id=customer_id,
        as_of=as_of,
        currency=CREDIT_CURRENCY,
        receivables_by_bucket=ageing.buckets,
        open_receivables=ageing.open_receivables,
        overdue=ageing.overdue,
        overdue_weighted=ageing.overdue_weighted,
        oldest_days_past_due=ageing.oldest_days_past_due,
        disputed=ageing.disputed,
        unapplied_payments=sums[ledger.UNAPPLIED],
        open_orders=sums[ledger.ORDERS],
        contract_commitments=sums["commitment"],
        gross_exposure=figures.gross_exposure,
        mitigation=figures.mitigation,
        net_exposure=figures.net_exposure,
        ead=figures.ead,
        lgd=figures.lgd,
        industry_lgd=industry_lgd,
        commitment_ccf=config.commitment_ccf,
        pd=rating.pd if rating else None,
        grade=rating.grade if rating else None,
        expected_loss=figures.expected_loss,
        secured=figures.secured,
        unsecured=figures.unsecured,
        config_name=config.name,
        config_sha256=config.sha256,
        unconverted=dict(convert_to.unconverted),
    )


def get_exposure(
    session: Session, actor: Actor, *, customer_id: int, as_of: date | None = None
) -> CustomerExposure:
    """``customer_exposure`` for a reader with ``exposure:read`` (404 for an unknown customer)."""
    auth_service.ensure_permission(actor, Permission.EXPOSURE_READ)
    customers_service.get_customer(session, actor, customer_id)
    return customer_exposure(session, customer_id, as_of=as_of or _today())


# --- groups ---------------------------------------------------------------------------------


def group_members(session: Session, customer_id: int) -> set[int]:
    """The customer and everyone linked to it through related parties, directly or through
    others (at most ``MAX_GROUP_MEMBERS``), read link by link outwards."""
    neighbours: dict[int, list[int]] = defaultdict(list)
    seen = {customer_id}
    frontier = [customer_id]
    while frontier and len(seen) < MAX_GROUP_MEMBERS:
        for left, right in ledger.related_links(session, frontier):
            neighbours[left].append(right)
            neighbours[right].append(left)
        reached = component_of(customer_id, neighbours)
        frontier = sorted(reached - seen)
        seen |= reached
    return set(sorted(seen)[:MAX_GROUP_MEMBERS])


def group_exposure(
    session: Session, actor: Actor, *, customer_id: int, as_of: date | None = None
) -> GroupExposure:
    """The exposure of the customer's related-party group, member by member and summed."""
    auth_service.ensure_permission(actor, Permission.EXPOSURE_READ)
    customers_service.get_customer(session, actor, customer_id)
    day = as_of or _today()
    ids = sorted(group_members(session, customer_id))
    names = ledger.customer_names(session, ids)
    members = tuple(
        GroupMember(member, names.get(member, ""), customer_exposure(session, member, as_of=day))
        for member in ids
    )
    exposures = [member.exposure for member in members]
    unconverted: dict[str, int] = defaultdict(int)
    for exposure in exposures:
        for currency, amount in exposure.unconverted.items():
            unconverted[currency] += amount
    return GroupExposure(
        customer_id=customer_id,
        as_of=day,
        currency=CREDIT_CURRENCY,
        members=members,
        gross_exposure=sum(item.gross_exposure for item in exposures),
        mitigation=sum(item.mitigation for item in exposures),
        net_exposure=sum(item.net_exposure for item in exposures),
        ead=sum(item.ead for item in exposures),
        expected_loss=sum(item.expected_loss or 0 for item in exposures),
        unrated_ead=sum(item.ead for item in exposures if item.expected_loss is None),
        unconverted=dict(unconverted),
    )


# --- portfolio ------------------------------------------------------------------------------


@dataclass
class _Book:
    buckets: dict[str, int] = field(default_factory=lambda: dict.fromkeys(BUCKETS, 0))
    orders: int = 0
    unapplied: int = 0
    commitments: int = 0
    protections: list[Protection] = field(default_factory=list)


@dataclass
class _Tally:
    customers: int = 0
    gross: int = 0
    net: int = 0
    ead: int = 0
    expected_loss: int = 0
    unrated_ead: int = 0

    def add(self, gross: int, net: int, ead: int, expected_loss: int | None) -> None:
        self.customers += 1
        self.gross += gross
        self.net += net
        self.ead += ead
        if expected_loss is None:
            self.unrated_ead += ead
        else:
            self.expected_loss += expected_loss

    def absorb(self, group: ledger.SnapshotGroup) -> None:
        self.customers += group.customers
        self.gross += group.gross_exposure
        self.net += group.net_exposure
        self.ead += group.ead
        self.expected_loss += group.expected_loss
        self.unrated_ead += group.unrated_ead

    def row(self, key: str) -> Breakdown:
        return Breakdown(
            key,
            self.customers,
            self.gross,
            self.net,
            self.ead,
            self.expected_loss,
            self.unrated_ead,
        )


def _rows(tallies: dict[str, _Tally]) -> tuple[Breakdown, ...]:
    return tuple(tally.row(key) for key, tally in sorted(tallies.items()))


def _province(region_code: str | None) -> str:
    return f"{region_code[:2]}0000" if region_code and len(region_code) >= 2 else UNKNOWN


def _books(
    session: Session,
    day: date,
    config: LgdConfig,
    customer_ids: Sequence[int] | None = None,
    rows: LedgerRows | None = None,
) -> tuple[dict[int, _Book], _Converter]:
    """Every customer's (or the named ones') ledger totals in the credit currency, from four
    set-based aggregate queries (a fifth reads exchange rates for foreign currencies); two of
    them summed from ``rows`` instead, a stream job's shared read of the customers named."""
    buckets: Sequence[ledger.BucketRow | ledger.Balance]
    if rows is None or customer_ids is None:
        buckets = ledger.bucket_totals(session, day, customer_ids)
        amounts = ledger.orders_and_unapplied(session, customer_ids)
    else:
        buckets = ledger.balances_in(rows, day, customer_ids)
        amounts = ledger.orders_and_unapplied_in(rows, customer_ids)
    commitments = ledger.contract_commitments(session, day, customer_ids)
    mitigants = ledger.mitigants_in_force(session, day, customer_ids)
    convert_to = _converter(
        session,
        day,
        {
            *(row.currency for row in buckets),
            *(row.currency for row in amounts),
            *(row.currency for row in commitments),
            *(row.currency for row in mitigants),
        },
    )
    books: dict[int, _Book] = defaultdict(_Book)
    for bucket in buckets:
        books[bucket.customer_id].buckets[bucket.bucket] += convert_to(
            bucket.outstanding, bucket.currency
        )
    for row in amounts:
        book = books[row.customer_id]
        if row.kind == ledger.ORDERS:
            book.orders += convert_to(row.amount, row.currency)
        else:
            book.unapplied += convert_to(row.amount, row.currency)
    for row in commitments:
        books[row.customer_id].commitments += convert_to(row.amount, row.currency)
    for protection, mitigant in zip(
        _protections(mitigants, config, convert_to), mitigants, strict=True
    ):
        books[mitigant.customer_id].protections.append(protection)
    return books, convert_to


def _composed(book: _Book, customer: ledger.CustomerRow, config: LgdConfig) -> ExposureFigures:
    return compose(
        ExposureInputs(
            open_receivables=sum(book.buckets.values()),
            open_orders=book.orders,
            contract_commitments=book.commitments,
            unapplied_payments=book.unapplied,
            protections=book.protections,
            industry_lgd=config.industry_lgd_of(customer.industry_code),
            commitment_ccf=config.commitment_ccf,
            pd=customer.pd,
        )
    )


def portfolio_exposure(
    session: Session, actor: Actor, *, as_of: date | None = None
) -> PortfolioExposure:
    """Exposure and expected loss of every customer, summed and broken down by grade, industry
    section and province, with concentration over customers and over related-party groups.

    Five set-based aggregate queries; the per-customer arithmetic is the same ``compose`` a
    single customer's exposure uses, so the two always agree. It reads every open ledger row,
    seconds at 100,000 customers: the dashboard reads ``portfolio_summary`` instead.
    """
    auth_service.ensure_permission(actor, Permission.EXPOSURE_READ)
    auth_service.ensure_permission(actor, Permission.CUSTOMERS_ALL)
    day = as_of or _today()
    config = shipped()
    customers = ledger.customers(session)
    books, convert_to = _books(session, day, config)

    totals = _Tally()
    total_buckets = dict.fromkeys(BUCKETS, 0)
    orders = commitments_total = mitigation = 0
    by_grade: dict[str, _Tally] = defaultdict(_Tally)
    by_industry: dict[str, _Tally] = defaultdict(_Tally)
    by_region: dict[str, _Tally] = defaultdict(_Tally)
    net_by_customer: dict[int, int] = {}
    for customer in customers:
        found = books.get(customer.customer_id)
        if found is None:
            continue
        book = found
        receivables = sum(book.buckets.values())
        figures = _composed(book, customer, config)
        if figures.gross_exposure == 0 and receivables == 0:
            continue
        args = (figures.gross_exposure, figures.net_exposure, figures.ead, figures.expected_loss)
        totals.add(*args)
        by_grade[customer.grade or UNRATED].add(*args)
        by_industry[(customer.industry_code or "")[:1].upper() or UNKNOWN].add(*args)
        by_region[_province(customer.region_code)].add(*args)
        for name, amount in book.buckets.items():
            total_buckets[name] += amount
        orders += book.orders
        commitments_total += book.commitments
        mitigation += figures.mitigation
        net_by_customer[customer.customer_id] = figures.net_exposure

    by_customer = concentration(net_by_customer)
    groups = connected_groups(ledger.related_links(session))
    net_by_group: dict[int, int] = defaultdict(int)
    sizes: dict[int, int] = defaultdict(int)
    for customer_id, net in net_by_customer.items():
        key = groups.get(customer_id, customer_id)
        net_by_group[key] += net
        sizes[key] += 1
    by_group = concentration(dict(net_by_group))
    names = ledger.customer_names(
        session, sorted({key for key, _ in (*by_customer.top, *by_group.top)})
    )
    return PortfolioExposure(
        as_of=day,
        currency=CREDIT_CURRENCY,
        customers=totals.customers,
        receivables_by_bucket=total_buckets,
        open_receivables=sum(total_buckets.values()),
        open_orders=orders,
        contract_commitments=commitments_total,
        gross_exposure=totals.gross,
        mitigation=mitigation,
        net_exposure=totals.net,
        ead=totals.ead,
        expected_loss=totals.expected_loss,
        unrated_ead=totals.unrated_ead,
        by_grade=_rows(by_grade),
        by_industry=_rows(by_industry),
        by_region=_rows(by_region),
        top_share=by_customer.top_share,
        herfindahl=by_customer.herfindahl,
        top=_ranked(by_customer, names, None),
        group_top_share=by_group.top_share,
        group_herfindahl=by_group.herfindahl,
        top_groups=_ranked(by_group, names, sizes),
        config_sha256=config.sha256,
        unconverted=dict(convert_to.unconverted),
    )


def _ranked(
    result: Concentration, names: dict[int, str], sizes: dict[int, int] | None
) -> tuple[Ranked, ...]:
    return tuple(
        Ranked(
            key=key,
            name=names.get(key, ""),
            net_exposure=amount,
            share=amount / result.total if result.total else 0.0,
            members=sizes.get(key, 1) if sizes is not None else 1,
        )
        for key, amount in result.top
    )


# --- snapshots and the dashboard's summary ----------------------------------------------------

_LOSS_PLACES = Decimal("0.000001")
_UPSERT_ROWS = 5_000
"""Rows handed to the driver at a time."""


def _snapshot_row(
    customer_id: int, book: _Book, figures: ExposureFigures, day: date, moment: datetime
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "customer_id": customer_id,
        "as_of": day,
        "currency": CREDIT_CURRENCY,
        "open_receivables_minor": sum(book.buckets.values()),
        "overdue_minor": sum(amount for name, amount in book.buckets.items() if name != NOT_DUE),
        "open_orders_minor": book.orders,
        "contract_commitments_minor": book.commitments,
        "unapplied_payments_minor": book.unapplied,
        "gross_exposure_minor": figures.gross_exposure,
        "mitigation_minor": figures.mitigation,
        "net_exposure_minor": figures.net_exposure,
        "ead_minor": figures.ead,
        "loss_at_default": figures.loss_amount.quantize(_LOSS_PLACES, rounding=ROUND_HALF_UP),
        "computed_at": moment,
    }
    for name, column in ledger.SNAPSHOT_BUCKETS.items():
        row[column] = book.buckets[name]
    return row


_SNAPSHOTS = ExposureSnapshot.metadata.tables[ExposureSnapshot.__tablename__]
_NOT_COMPARED = ("computed_at",)


def _upsert_snapshots(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert or overwrite, so the stream consumer and the daily refresh may write the same
    customer at the same time (the later commit wins; both computed a true figure). A stored
    snapshot equal but for ``computed_at`` is left as it is: most events a customer's snapshot
    is refreshed for (a payment promised, a report, a legal event, a rule's re-evaluation) move
    none of its figures, and rewriting the row cost PostgreSQL a row version, its index entries
    and their vacuuming each time. ``computed_at`` is when the figures last changed.

    On PostgreSQL the rows go as one JSON parameter of one short statement
    (``fengkong.json_insert``: a stream job's snapshots were a pipelined upsert a row); elsewhere,
    or for a value JSON cannot carry, one statement run for many rows (the driver's executemany:
    a multi-row VALUES of 1,000 rows costs SQLAlchemy about a second to compile)."""
    if not rows:
        return
    connection = flushed_connection(session)
    upserted = insert_as_json(
        connection,
        _SNAPSHOTS,
        rows,
        update_on_conflict_of="customer_id",
        not_compared=_NOT_COMPARED,
    )
    if upserted is not None:
        return
    dialect = connection.dialect
    insert_for = postgresql.insert if dialect.name == "postgresql" else sqlite.insert
    upsert = insert_for(_SNAPSHOTS)
    upsert = upsert.on_conflict_do_update(
        index_elements=["customer_id"],
        set_={
            column.name: upsert.excluded[column.name]
            for column in _SNAPSHOTS.columns
            if column.name != "customer_id"
        },
        where=changed(_SNAPSHOTS, upsert.excluded, list(rows[0]), ("customer_id", *_NOT_COMPARED)),
    )
    for start in range(0, len(rows), _UPSERT_ROWS):
        connection.execute(upsert, list(rows[start : start + _UPSERT_ROWS]))


def refresh_exposures(
    session: Session,
    actor: Actor,
    *,
    customer_ids: Collection[int] | None = None,
    as_of: date | None = None,
    rows: LedgerRows | None = None,
    ratings: Mapping[int, risk_service.Rating] | None = None,
) -> int:
    """Recompute the exposure snapshot of the customers named (default: every customer not
    archived) with ageing as of ``as_of`` (default: today); how many were written. The reads
    and the ``compose`` are ``portfolio_exposure``'s, so the dashboard and the API agree.
    Customers with nothing owed get a row of zeros: computed, not missing. ``rows``: a stream
    job's shared read of these customers on that day, which their balances are summed from;
    ``ratings``: their ratings as the job's scoring left them (``ScoringSummary.ratings``)."""
    auth_service.ensure_permission(actor, Permission.EXPOSURE_WRITE)
    day = as_of or _today()
    if rows is not None and (
        customer_ids is None or not set(customer_ids) <= rows.customer_ids or rows.as_of != day
    ):
        raise ValueError("the shared rows are not of the customers and the day asked")
    config = shipped()
    moment = utcnow()
    wanted = None if customer_ids is None else sorted(set(customer_ids))
    parts = (
        [None]
        if wanted is None
        else [part.ids for part in id_sets(session, wanted, chunk=_ID_CHUNK)]
    )
    written = 0
    for part in parts:
        customers = _customer_rows(session, part, rows, ratings)
        if not customers:
            continue
        books, _ = _books(session, day, config, part, rows)
        snapshots = []
        for customer in sorted(customers, key=lambda row: row.customer_id):
            book = books.get(customer.customer_id) or _Book()
            snapshots.append(
                _snapshot_row(
                    customer.customer_id, book, _composed(book, customer, config), day, moment
                )
            )
        _upsert_snapshots(session, snapshots)
        written += len(snapshots)
    session.flush()
    return written


def _customer_rows(
    session: Session,
    customer_ids: Sequence[int] | None,
    rows: LedgerRows | None,
    ratings: Mapping[int, risk_service.Rating] | None,
) -> list[ledger.CustomerRow]:
    """The customers not archived among ``customer_ids`` with their grade and PD: from a stream
    job's shared rows and ratings when they hold every one of them, else read."""
    if rows is None or ratings is None or customer_ids is None:
        return ledger.customers(session, customer_ids)
    wanted = set(customer_ids)
    held = [row for row in rows.customers if row.id in wanted and row.archived_at is None]
    if any(row.id not in ratings for row in held):
        return ledger.customers(session, customer_ids)
    return [
        ledger.CustomerRow(
            row.id, row.industry_code, row.region_code, ratings[row.id].grade, ratings[row.id].pd
        )
        for row in held
    ]


def exposures_stale(session: Session, *, as_of: date) -> bool:
    """Whether the snapshots are aged before ``as_of`` (or none was computed yet): the daily
    refresh then has work to do, and a second run the same day has none."""
    return ledger.stale_snapshots(session, as_of)


def portfolio_summary(session: Session, actor: Actor, *, top_n: int = 10) -> PortfolioSummary:
    """The dashboard's portfolio figures from the snapshots: totals, ageing, breakdowns by
    grade, industry section and province, concentration over customers, and the ``top_n``
    largest expected losses. Four aggregate queries over one row per customer."""
    auth_service.ensure_permission(actor, Permission.EXPOSURE_READ)
    auth_service.ensure_permission(actor, Permission.CUSTOMERS_ALL)
    groups = ledger.snapshot_groups(session)
    by_grade: dict[str, _Tally] = defaultdict(_Tally)
    by_industry: dict[str, _Tally] = defaultdict(_Tally)
    by_region: dict[str, _Tally] = defaultdict(_Tally)
    totals = _Tally()
    buckets = dict.fromkeys(BUCKETS, 0)
    overdue = 0
    net_squared = 0.0
    for group in groups:
        if group.customers == 0:
            continue
        region = f"{group.province}0000" if group.province else UNKNOWN
        for tally in (
            totals,
            by_grade[group.grade or UNRATED],
            by_industry[group.section or UNKNOWN],
            by_region[region],
        ):
            tally.absorb(group)
        for name, amount in group.buckets.items():
            buckets[name] += amount
        overdue += group.overdue
        net_squared += group.net_squared
    largest = ledger.largest_net_exposures(session, top_n)
    total_net = totals.net
    dated = [group.oldest_as_of for group in groups if group.oldest_as_of is not None]
    stamped = [group.last_computed_at for group in groups if group.last_computed_at is not None]
    return PortfolioSummary(
        currency=CREDIT_CURRENCY,
        as_of=min(dated) if dated else None,
        computed_at=max(stamped) if stamped else None,
        customers=totals.customers,
        not_computed=ledger.customers_without_snapshot(session),
        receivables_by_bucket=buckets,
        open_receivables=sum(buckets.values()),
        overdue=overdue,
        gross_exposure=totals.gross,
        net_exposure=total_net,
        ead=totals.ead,
        expected_loss=totals.expected_loss,
        unrated_ead=totals.unrated_ead,
        by_grade=_rows(by_grade),
        by_industry=_rows(by_industry),
        by_region=_rows(by_region),
        top_share=sum(largest) / total_net if total_net else 0.0,
        herfindahl=net_squared / float(total_net) ** 2 if total_net else 0.0,
        largest_losses=tuple(
            LossRanked(row.customer_id, row.name, row.grade, row.pd, row.ead, row.expected_loss)
            for row in ledger.largest_expected_losses(session, top_n)
        ),
    )


# --- mitigants ------------------------------------------------------------------------------


def covered(mitigant: Mitigant) -> Money:
    """What the mitigant counts for: its amount less the haircut, in its own currency."""
    return Money.from_minor_units(
        covered_by(mitigant.amount_minor, mitigant.haircut), mitigant.currency
    )


def _check_dates(valid_from: date, valid_until: date | None) -> None:
    if valid_until is not None and valid_until < valid_from:
        raise ValidationFailed(
            "a mitigant cannot end before it starts",
            details=[field_error("valid_until", valid_until, f"before valid_from {valid_from}")],
        )


def list_mitigants(
    session: Session, actor: Actor, *, customer_id: int, include_inactive: bool = True
) -> list[Mitigant]:
    """The customer's mitigants (not archived), newest first."""
    auth_service.ensure_permission(actor, Permission.EXPOSURE_READ)
    customers_service.get_customer(session, actor, customer_id)
    statement = select(Mitigant).where(
        Mitigant.customer_id == customer_id, Mitigant.archived_at.is_(None)
    )
    if not include_inactive:
        statement = statement.where(Mitigant.status == MitigantStatus.ACTIVE)
    return list(session.scalars(statement.order_by(Mitigant.valid_from.desc(), Mitigant.id.desc())))


def get_mitigant(session: Session, actor: Actor, *, mitigant_id: int) -> Mitigant:
    auth_service.ensure_permission(actor, Permission.EXPOSURE_READ)
    mitigant = session.get(Mitigant, mitigant_id)
    if mitigant is None:
        raise MitigantNotFound(f"no mitigant with id {mitigant_id}")
    return mitigant


def create_mitigant(
    session: Session, actor: Actor, *, customer_id: int, data: MitigantCreate
) -> Mitigant:
    """Record a mitigant; without a haircut it takes its kind's from the configuration."""
    auth_service.ensure_permission(actor, Permission.EXPOSURE_WRITE)
    customer = customers_service.resolve_customer(
        session, customer_id=customer_id, customer_uscc=None
    )
    _check_dates(data.valid_from, data.valid_until)
    haircut = data.haircut if data.haircut is not None else shipped().terms(data.kind).haircut
    mitigant = Mitigant(
        customer_id=customer.id,
        kind=data.kind,
        provider=data.provider,
        description=data.description,
        amount=data.amount.to_money(),
        valid_from=data.valid_from,
        valid_until=data.valid_until,
        haircut=haircut,
        status=MitigantStatus.ACTIVE,
    )
    session.add(mitigant)
    session.flush()
    return mitigant


def update_mitigant(
    session: Session,
    actor: Actor,
    *,
    mitigant_id: int,
    data: MitigantUpdate,
    expected_version: int | None = None,
) -> Mitigant:
    auth_service.ensure_permission(actor, Permission.EXPOSURE_WRITE)
    mitigant = get_mitigant(session, actor, mitigant_id=mitigant_id)
    label = f"mitigant {mitigant_id}"
    check_version(mitigant, expected_version, label=label)
    ensure_not_archived(mitigant, label=label)
    if mitigant.status is not MitigantStatus.ACTIVE:
        raise MitigantNotActive(
            f"{label} is {mitigant.status.value}; record a new one instead",
            details=[field_error("status", mitigant.status, "only active mitigants change")],
        )
    changes = data.model_dump(exclude_unset=True, exclude={"amount"})
    _check_dates(
        changes.get("valid_from", mitigant.valid_from),
        changes.get("valid_until", mitigant.valid_until),
    )
    for name, value in changes.items():
        setattr(mitigant, name, value)
    if data.amount is not None:
        mitigant.amount = data.amount.to_money()
    session.flush()
    return mitigant


def release_mitigant(
    session: Session, actor: Actor, *, mitigant_id: int, expected_version: int | None = None
) -> Mitigant:
    """The mitigant no longer protects (guarantee returned, collateral released)."""
    auth_service.ensure_permission(actor, Permission.EXPOSURE_WRITE)
    mitigant = get_mitigant(session, actor, mitigant_id=mitigant_id)
    check_version(mitigant, expected_version, label=f"mitigant {mitigant_id}")
    mitigant.status = change_status(mitigant.status, MitigantStatus.RELEASED, MITIGANT_TRANSITIONS)
    session.flush()
    return mitigant


def archive_mitigant(
    session: Session, actor: Actor, *, mitigant_id: int, expected_version: int | None = None
) -> Mitigant:
    auth_service.ensure_permission(actor, Permission.EXPOSURE_WRITE)
    mitigant = get_mitigant(session, actor, mitigant_id=mitigant_id)
    check_version(mitigant, expected_version, label=f"mitigant {mitigant_id}")
    archive(mitigant)
    session.flush()
    return mitigant


def expire_mitigants(session: Session, actor: Actor, *, today: date | None = None) -> int:
    """Mark active mitigants whose ``valid_until`` has passed as expired; how many were.
    (Exposure already ignores them by date; this keeps their status honest for lists.)"""
    auth_service.ensure_permission(actor, Permission.EXPOSURE_WRITE)
    day = today or _today()
    lapsed = session.scalars(
        select(Mitigant).where(
            Mitigant.status == MitigantStatus.ACTIVE,
            Mitigant.valid_until.is_not(None),
            Mitigant.valid_until < day,
        )
    ).all()
    for mitigant in lapsed:
        mitigant.status = change_status(
            mitigant.status, MitigantStatus.EXPIRED, MITIGANT_TRANSITIONS
        )
    session.flush()
    return len(lapsed)


# --- disputes -------------------------------------------------------------------------------


def _open_disputed_minor(session: Session, invoice_id: int) -> int:
    total = session.scalar(
        select(func.coalesce(func.sum(InvoiceDispute.amount_minor), 0)).where(
            InvoiceDispute.invoice_id == invoice_id,
            InvoiceDispute.status == DisputeStatus.OPEN,
        )
    )
    return int(total or 0)


def open_dispute(
    session: Session, actor: Actor, *, invoice_id: int, data: DisputeCreate
) -> InvoiceDispute:
    """Record that the customer contests ``data.amount`` of an open invoice. Disputes of one
    invoice together never exceed what is outstanding on it."""
    auth_service.ensure_permission(actor, Permission.EXPOSURE_WRITE)
    invoice = receivables_service.get_invoice(session, actor, invoice_id=invoice_id)
    amount = data.amount.to_money()
    if invoice.status is not InvoiceStatus.OPEN or invoice.archived_at is not None:
        state = "archived" if invoice.archived_at is not None else invoice.status.value
        raise InvoiceNotDisputable(
            f"invoice {invoice.invoice_number} is {state}; only open invoices can be disputed",
            details=[field_error("invoice_id", invoice_id, f"the invoice is {state}")],
        )
    if amount.currency != invoice.currency:
        raise ValidationFailed(
            f"invoice {invoice.invoice_number} is in {invoice.currency}",
            details=[
                field_error("amount.currency", amount.currency, f"expected {invoice.currency}")
            ],
        )
    room = invoice.outstanding_minor - _open_disputed_minor(session, invoice_id)
    if amount.minor_units > room:
        available = Money.from_minor_units(max(room, 0), invoice.currency)
        raise DisputeExceedsOutstanding(
            f"at most {available} of invoice {invoice.invoice_number} can still be disputed",
            details=[field_error("amount.amount", amount.amount, f"at most {available.amount}")],
        )
    dispute = InvoiceDispute(
        invoice_id=invoice.id,
        customer_id=invoice.customer_id,
        amount=amount,
        reason=data.reason,
        status=DisputeStatus.OPEN,
        opened_on=data.opened_on or _today(),
        opened_by=actor.username,
    )
    session.add(dispute)
    session.flush()
    return dispute


def get_dispute(session: Session, actor: Actor, *, dispute_id: int) -> InvoiceDispute:
    auth_service.ensure_permission(actor, Permission.EXPOSURE_READ)
    dispute = session.get(InvoiceDispute, dispute_id)
    if dispute is None:
        raise DisputeNotFound(f"no dispute with id {dispute_id}")
    return dispute


def resolve_dispute(
    session: Session,
    actor: Actor,
    *,
    dispute_id: int,
    data: DisputeResolve,
    expected_version: int | None = None,
) -> InvoiceDispute:
    """Close a dispute with its resolution; the amount counts in overdue rules again (unless a
    credit note or payment reduces the invoice)."""
    auth_service.ensure_permission(actor, Permission.EXPOSURE_WRITE)
    dispute = get_dispute(session, actor, dispute_id=dispute_id)
    check_version(dispute, expected_version, label=f"dispute {dispute_id}")
    if dispute.status is DisputeStatus.RESOLVED:
        raise DisputeAlreadyResolved(
            f"dispute {dispute_id} was resolved on {dispute.resolved_on}",
            details=[field_error("status", dispute.status, "already resolved")],
        )
    resolved_on = data.resolved_on or _today()
    if resolved_on < dispute.opened_on:
        raise ValidationFailed(
            "a dispute cannot be resolved before it was opened",
            details=[field_error("resolved_on", resolved_on, f"before {dispute.opened_on}")],
        )
    dispute.status = change_status(dispute.status, DisputeStatus.RESOLVED, DISPUTE_TRANSITIONS)
    dispute.resolution = data.resolution
    dispute.resolution_note = data.note
    dispute.resolved_on = resolved_on
    dispute.resolved_by = actor.username
    session.flush()
    return dispute


def disputes_of(
    session: Session,
    actor: Actor,
    *,
    invoice_id: int | None = None,
    customer_id: int | None = None,
    status: DisputeStatus | None = None,
) -> list[InvoiceDispute]:
    """Disputes of an invoice or a customer, newest first."""
    auth_service.ensure_permission(actor, Permission.EXPOSURE_READ)
    statement = select(InvoiceDispute)
    if invoice_id is not None:
        statement = statement.where(InvoiceDispute.invoice_id == invoice_id)
    if customer_id is not None:
        statement = statement.where(InvoiceDispute.customer_id == customer_id)
    if status is not None:
        statement = statement.where(InvoiceDispute.status == status)
    return list(session.scalars(statement.order_by(InvoiceDispute.id.desc())))


def disputed_invoice_ids(
    session: Session, *, customer_id: int | None = None, invoice_ids: Sequence[int] | None = None
) -> set[int]:
    """Invoices with an open dispute (dunning skips them); no permission needed."""
    statement = select(InvoiceDispute.invoice_id).where(InvoiceDispute.status == DisputeStatus.OPEN)
    if customer_id is not None:
        statement = statement.where(InvoiceDispute.customer_id == customer_id)
    if invoice_ids is not None:
        statement = statement.where(InvoiceDispute.invoice_id.in_(list(invoice_ids)))
    return set(session.scalars(statement.distinct()))


# --- exchange rates -------------------------------------------------------------------------


def set_fx_rate(session: Session, actor: Actor, *, data: FxRateIn) -> FxRate:
    """Record (or correct) the rate of a currency to CNY from a date on."""
    auth_service.ensure_permission(actor, Permission.EXPOSURE_WRITE)
    try:
        currency = normalise_currency(data.currency)
    except MoneyError as error:
        raise ValidationFailed(
            str(error), details=[field_error("currency", data.currency, "not an ISO 4217 code")]
        ) from error
    if data.rate <= 0:
        raise ValidationFailed(
            "a rate must be positive", details=[field_error("rate", data.rate, "must be > 0")]
        )
    row = session.scalars(
        select(FxRate).where(FxRate.currency == currency, FxRate.as_of == data.as_of)
    ).one_or_none()
    if row is None:
        row = FxRate(
            currency=currency, as_of=data.as_of, rate=data.rate, recorded_by=actor.username
        )
        session.add(row)
    else:
        row.rate = data.rate
        row.recorded_by = actor.username
    session.flush()
    return row


def list_fx_rates(session: Session, actor: Actor) -> list[FxRate]:
    auth_service.ensure_permission(actor, Permission.EXPOSURE_READ)
    return list(session.scalars(select(FxRate).order_by(FxRate.currency, FxRate.as_of.desc())))
