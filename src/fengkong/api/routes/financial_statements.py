from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from fengkong.api.deps import DbSession, requires
from fengkong.api.etags import ExpectedVersion, tag
from fengkong.api.idempotency import IdempotentRoute, writes
from fengkong.api.params import PageParams, page_fields
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.financials import service
from fengkong.financials.schemas import (
    FinancialStatementCreate,
    FinancialStatementRead,
    FinancialStatementUpdate,
)
from fengkong.kit.schemas import PageOut

router = APIRouter(
    prefix="/financial-statements", tags=["financial statements"], route_class=IdempotentRoute
)

Reader = Annotated[Actor, requires(Permission.FINANCIALS_READ)]
Writer = Annotated[Actor, writes(Permission.FINANCIALS_WRITE)]


class FinancialStatementPage(PageOut):
    items: list[FinancialStatementRead]


@router.get("", response_model=FinancialStatementPage)
def list_financial_statements(
    session: DbSession,
    actor: Reader,
    page: PageParams,
    customer_id: int | None = None,
    period_from: Annotated[date | None, Query(description="periods ending on or after")] = None,
    period_to: Annotated[date | None, Query(description="periods ending on or before")] = None,
    period_months: Annotated[int | None, Query(ge=3, le=12, multiple_of=3)] = None,
    audited: bool | None = None,
    include_archived: bool = False,
    sort: service.FinancialStatementSort = service.FinancialStatementSort.PERIOD_END_DESC,
) -> FinancialStatementPage:
    result = service.list_financial_statements(
        session,
        actor,
        criteria=service.FinancialStatementFilter(
            customer_id=customer_id,
            period_from=period_from,
            period_to=period_to,
            period_months=period_months,
            audited=audited,
            include_archived=include_archived,
        ),
        sort=sort,
        page=page,
    )
    return FinancialStatementPage(
        items=[FinancialStatementRead.of(statement) for statement in result.items],
        **page_fields(result),
    )


@router.get("/{financial_statement_id}", response_model=FinancialStatementRead)
def get_financial_statement(
    financial_statement_id: int, session: DbSession, response: Response, actor: Reader
) -> FinancialStatementRead:
    statement = service.get_financial_statement(
        session, actor, financial_statement_id=financial_statement_id
    )
    tag(response, statement.version)
    return FinancialStatementRead.of(statement)


@router.post("", response_model=FinancialStatementRead, status_code=status.HTTP_201_CREATED)
def create_financial_statement(
    data: FinancialStatementCreate, session: DbSession, response: Response, actor: Writer
) -> FinancialStatementRead:
    """File a statement; it must balance (assets = liabilities + equity within 0.5 %)."""
    statement = service.create_financial_statement(session, actor, data=data)
    tag(response, statement.version, location=f"/api/v1/financial-statements/{statement.id}")
    return FinancialStatementRead.of(statement)


@router.patch("/{financial_statement_id}", response_model=FinancialStatementRead)
def update_financial_statement(
    financial_statement_id: int,
    data: FinancialStatementUpdate,
    session: DbSession,
    response: Response,
    expected: ExpectedVersion,
    actor: Writer,
) -> FinancialStatementRead:
    statement = service.update_financial_statement(
        session,
        actor,
        financial_statement_id=financial_statement_id,
        data=data,
        expected_version=expected,
    )
    tag(response, statement.version)
    return FinancialStatementRead.of(statement)


@router.post("/{financial_statement_id}/archive", response_model=FinancialStatementRead)
def archive_financial_statement(
    financial_statement_id: int,
    session: DbSession,
    response: Response,
    expected: ExpectedVersion,
    actor: Writer,
) -> FinancialStatementRead:
    statement = service.archive_financial_statement(
        session, actor, financial_statement_id=financial_statement_id, expected_version=expected
    )
    tag(response, statement.version)
    return FinancialStatementRead.of(statement)


@router.post("/{financial_statement_id}/restore", response_model=FinancialStatementRead)
def restore_financial_statement(
    financial_statement_id: int,
    session: DbSession,
    response: Response,
    expected: ExpectedVersion,
    actor: Writer,
) -> FinancialStatementRead:
    statement = service.restore_financial_statement(
        session, actor, financial_statement_id=financial_statement_id, expected_version=expected
    )
    tag(response, statement.version)
    return FinancialStatementRead.of(statement)
