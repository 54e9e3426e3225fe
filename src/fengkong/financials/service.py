"""Financial statement use cases. Callers own the transaction; nothing here commits.

Lines are written through their ``*_minor`` columns and the one ``currency`` column, never through
the optional ``Money`` composites: clearing one line through its composite would clear the currency
every other line shares.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

import polars as pl
from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.customers.service import resolve_customer
from fengkong.errors import Conflict, NotFound, ValidationFailed
from fengkong.financials.checks import balance_sheet_gap, balances
from fengkong.financials.models import STATEMENT_LINES, FinancialStatement
from fengkong.financials.schemas import (
    BALANCE_SHEET_TOTALS,
    FinancialStatementCreate,
    FinancialStatementUpdate,
)
from fengkong.kit.money import Money, currency_exponent
from fengkong.kit.pagination import Page, PageRequest, paginate
from fengkong.kit.schemas import MoneyIn
from fengkong.records import archive, check_version, ensure_not_archived, field_error, restore
from fengkong.scoring.features.financial import NAMES as RATIO_NAMES
from fengkong.scoring.features.financial import statement_ratios
from fengkong.scoring.ledgers import STATEMENTS_SCHEMA

TREND_STATEMENTS = 12
"""Statements a ratio trend shows: three years of quarters, or twelve years of annual accounts."""
_TREND_LOOKBACK = 3 * TREND_STATEMENTS
"""Statements read for a trend: enough older ones for the year-earlier growth of the oldest shown
(quarterly, half-yearly and annual statements of the same year all count)."""


class FinancialStatementNotFound(NotFound):
    code = "financial_statement_not_found"


class DuplicateFinancialStatement(Conflict):
    code = "duplicate_financial_statement"


class UnbalancedStatement(ValidationFailed):
    code = "unbalanced_statement"


class StatementCurrencyMismatch(ValidationFailed):
    code = "currency_mismatch"


class FinancialStatementSort(StrEnum):
    PERIOD_END = "period_end"
    PERIOD_END_DESC = "-period_end"
    PUBLISHED_ON = "published_on"
    PUBLISHED_ON_DESC = "-published_on"


_SORT_COLUMNS: dict[FinancialStatementSort, ColumnElement[Any]] = {
    FinancialStatementSort.PERIOD_END: FinancialStatement.period_end.asc(),
    FinancialStatementSort.PERIOD_END_DESC: FinancialStatement.period_end.desc(),
    FinancialStatementSort.PUBLISHED_ON: FinancialStatement.published_on.asc(),
    FinancialStatementSort.PUBLISHED_ON_DESC: FinancialStatement.published_on.desc(),
}


@dataclass(frozen=True, slots=True)
class FinancialStatementFilter:
    customer_id: int | None = None
    period_from: date | None = None
    """Statements whose period ends on or after this date."""
    period_to: date | None = None
    period_months: int | None = None
    audited: bool | None = None
    include_archived: bool = False


def _filtered(criteria: FinancialStatementFilter) -> Select[FinancialStatement]:
    statement = select(FinancialStatement)
    if criteria.customer_id is not None:
        statement = statement.where(FinancialStatement.customer_id == criteria.customer_id)
    if criteria.period_from is not None:
        statement = statement.where(FinancialStatement.period_end >= criteria.period_from)
    if criteria.period_to is not None:
        statement = statement.where(FinancialStatement.period_end <= criteria.period_to)
    if criteria.period_months is not None:
        statement = statement.where(FinancialStatement.period_months == criteria.period_months)
    if criteria.audited is not None:
        statement = statement.where(FinancialStatement.audited.is_(criteria.audited))
    if not criteria.include_archived:
        statement = statement.where(FinancialStatement.archived_at.is_(None))
    return statement


def list_financial_statements(
    session: Session,
    actor: Actor,
    *,
    criteria: FinancialStatementFilter = FinancialStatementFilter(),
    sort: FinancialStatementSort = FinancialStatementSort.PERIOD_END_DESC,
    page: PageRequest = PageRequest(),  # noqa: B008 - frozen, safe as a default
) -> Page[FinancialStatement]:
    statement = _filtered(criteria).order_by(_SORT_COLUMNS[sort], FinancialStatement.id.asc())
    return paginate(session, statement, page)


def find_financial_statement(
    session: Session, *, financial_statement_id: int
) -> FinancialStatement | None:
    return session.get(FinancialStatement, financial_statement_id)


def get_financial_statement(
    session: Session, actor: Actor, *, financial_statement_id: int
) -> FinancialStatement:
    found = find_financial_statement(session, financial_statement_id=financial_statement_id)
    if found is None:
        raise FinancialStatementNotFound(f"no financial statement with id {financial_statement_id}")
    return found


def _stored_lines(statement: FinancialStatement) -> dict[str, Money | None]:
    lines: dict[str, Money | None] = {}
    for line in STATEMENT_LINES:
        minor = getattr(statement, f"{line}_minor")
        lines[line] = None if minor is None else Money.from_minor_units(minor, statement.currency)
    return lines


def _sent_lines(
    data: FinancialStatementCreate | FinancialStatementUpdate,
) -> dict[str, Money | None]:
    """The lines a payload sets: all of them on create, only those sent on update."""
    sent: dict[str, Money | None] = {}
    for line in STATEMENT_LINES:
        if isinstance(data, FinancialStatementCreate) or line in data.model_fields_set:
            value: MoneyIn | None = getattr(data, line)
            sent[line] = None if value is None else value.to_money()
    return sent


def _one_currency(
    lines: Mapping[str, Money | None], sent: Mapping[str, Money | None], stored: str
) -> str:
    """The statement's currency: that of the first line sent, else the stored one. Every line
    must be in it, since a statement is filed in one currency."""
    reference = next((money.currency for money in sent.values() if money is not None), stored)
    strays = {
        line: money
        for line, money in lines.items()
        if money is not None and money.currency != reference
    }
    if strays:
        raise StatementCurrencyMismatch(
            f"every line of a statement is in one currency ({reference})",
            details=[
                field_error(f"{line}.currency", money.currency, f"expected {reference}")
                for line, money in strays.items()
            ],
        )
    return reference


def _check_balance(lines: Mapping[str, Money | None]) -> None:
    """Assets must equal liabilities + equity within 0.5 %. A stored statement imported without
    its totals has nothing to check until they are sent."""
    assets, liabilities, equity = (lines[line] for line in BALANCE_SHEET_TOTALS)
    if assets is None or liabilities is None or equity is None:
        return
    if balances(assets.amount, liabilities.amount, equity.amount):
        return
    gap = balance_sheet_gap(assets.amount, liabilities.amount, equity.amount)
    message = (
        f"total assets {assets.amount} differ from liabilities + equity "
        f"{liabilities.amount + equity.amount} by {gap:.2%} (at most 0.5% allowed)"
    )
    raise UnbalancedStatement(
        message,
        details=[field_error(line, lines[line], message) for line in BALANCE_SHEET_TOTALS],
    )


def _check_dates(period_end: date, published_on: date) -> None:
    if published_on < period_end:
        raise ValidationFailed(
            "a statement cannot be published before its period ends",
            details=[field_error("published_on", published_on, f"before period_end {period_end}")],
        )


def _ensure_unique(
    session: Session,
    *,
    customer_id: int,
    period_end: date,
    period_months: int,
    own_id: int | None = None,
) -> None:
    statement = select(FinancialStatement.id).where(
        FinancialStatement.customer_id == customer_id,
        FinancialStatement.period_end == period_end,
        FinancialStatement.period_months == period_months,
    )
    if own_id is not None:
        statement = statement.where(FinancialStatement.id != own_id)
    existing = session.scalar(statement)
    if existing is not None:
        message = f"already filed as financial statement {existing}"
        raise DuplicateFinancialStatement(
            f"customer {customer_id} already has a {period_months}-month statement "
            f"for the period ending {period_end} (financial statement {existing})",
            details=[
                field_error("customer_id", customer_id, message),
                field_error("period_end", period_end, message),
                field_error("period_months", period_months, message),
            ],
        )


def _write_lines(
    statement: FinancialStatement, currency: str, lines: Mapping[str, Money | None]
) -> None:
    statement.currency = currency
    for line, money in lines.items():
        setattr(statement, f"{line}_minor", None if money is None else money.minor_units)


def create_financial_statement(
    session: Session, actor: Actor, *, data: FinancialStatementCreate
) -> FinancialStatement:
    customer = resolve_customer(
        session, customer_id=data.customer_id, customer_uscc=data.customer_uscc
    )
    lines = _sent_lines(data)
    currency = _one_currency(lines, lines, data.total_assets.currency)
    _check_dates(data.period_end, data.published_on)
    _check_balance(lines)
    _ensure_unique(
        session,
        customer_id=customer.id,
        period_end=data.period_end,
        period_months=data.period_months,
    )
    statement = FinancialStatement(
        customer_id=customer.id,
        period_end=data.period_end,
        period_months=data.period_months,
        published_on=data.published_on,
        audited=data.audited,
    )
    _write_lines(statement, currency, lines)
    session.add(statement)
    session.flush()
    return statement


def update_financial_statement(
    session: Session,
    actor: Actor,
    *,
    financial_statement_id: int,
    data: FinancialStatementUpdate,
    expected_version: int | None = None,
) -> FinancialStatement:
    """Apply the fields sent; the statement is checked again as a whole (currency, dates,
    balance), so a correction of one line cannot leave it unbalanced."""
    statement = get_financial_statement(
        session, actor, financial_statement_id=financial_statement_id
    )
    label = f"financial statement {financial_statement_id}"
    check_version(statement, expected_version, label=label)
    ensure_not_archived(statement, label=label)
    sent = _sent_lines(data)
    lines = {**_stored_lines(statement), **sent}
    currency = _one_currency(lines, sent, statement.currency)
    period_end = data.period_end or statement.period_end
    period_months = data.period_months or statement.period_months
    _check_dates(period_end, data.published_on or statement.published_on)
    _check_balance(lines)
    if (period_end, period_months) != (statement.period_end, statement.period_months):
        _ensure_unique(
            session,
            customer_id=statement.customer_id,
            period_end=period_end,
            period_months=period_months,
            own_id=statement.id,
        )
    for field in ("period_end", "period_months", "published_on", "audited"):
        if field in data.model_fields_set:
            setattr(statement, field, getattr(data, field))
    _write_lines(statement, currency, lines)
    session.flush()
    return statement


def archive_financial_statement(
    session: Session,
    actor: Actor,
    *,
    financial_statement_id: int,
    expected_version: int | None = None,
) -> FinancialStatement:
    statement = get_financial_statement(
        session, actor, financial_statement_id=financial_statement_id
    )
    check_version(
        statement, expected_version, label=f"financial statement {financial_statement_id}"
    )
    archive(statement)
    session.flush()
    return statement


def restore_financial_statement(
    session: Session,
    actor: Actor,
    *,
    financial_statement_id: int,
    expected_version: int | None = None,
) -> FinancialStatement:
    statement = get_financial_statement(
        session, actor, financial_statement_id=financial_statement_id
    )
    check_version(
        statement, expected_version, label=f"financial statement {financial_statement_id}"
    )
    restore(statement)
    session.flush()
    return statement


@dataclass(frozen=True, slots=True)
class StatementRatios:
    """One statement's ratios, by feature name (``None`` where a line is missing or the base of
    the ratio is not positive)."""

    period_end: date
    period_months: int
    published_on: date
    ratios: Mapping[str, float | None]


def ratio_trend(
    session: Session, actor: Actor, *, customer_id: int, statements: int = TREND_STATEMENTS
) -> list[StatementRatios]:
    """The customer's latest ``statements`` statements, oldest first, each with the ratios the
    scorecard reads (``scoring.features.financial``: one set of formulas for scores and pages).
    One query, bounded: a long history costs no more than its latest few years."""
    lines = [getattr(FinancialStatement, f"{line}_minor") for line in STATEMENT_LINES]
    rows = session.execute(
        select(
            FinancialStatement.period_end,
            FinancialStatement.period_months,
            FinancialStatement.published_on,
            FinancialStatement.currency,
            *lines,
        )
        .where(
            FinancialStatement.customer_id == customer_id,
            FinancialStatement.archived_at.is_(None),
        )
        .order_by(FinancialStatement.period_end.desc(), FinancialStatement.period_months.desc())
        .limit(_TREND_LOOKBACK)
    ).all()
    if not rows:
        return []
    columns: dict[str, list[object]] = {name: [] for name in STATEMENTS_SCHEMA.names()}
    for period_end, period_months, published_on, currency, *amounts in rows:
        unit = 10.0 ** currency_exponent(currency)
        columns["customer_id"].append(customer_id)
        columns["period_end"].append(period_end)
        columns["period_months"].append(period_months)
        columns["published_on"].append(published_on)
        for line, minor in zip(STATEMENT_LINES, amounts, strict=True):
            columns[line].append(None if minor is None else minor / unit)
    ratios = statement_ratios(pl.DataFrame(columns, schema=STATEMENTS_SCHEMA))
    return [
        StatementRatios(
            period_end=row["period_end"],
            period_months=row["period_months"],
            published_on=row["published_on"],
            ratios={name: row[name] for name in RATIO_NAMES},
        )
        for row in ratios.tail(statements).iter_rows(named=True)
    ]
