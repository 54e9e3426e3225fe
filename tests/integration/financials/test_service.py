from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.financials import service
from fengkong.financials.models import STATEMENT_LINES
from fengkong.financials.schemas import FinancialStatementUpdate
from fengkong.kit.money import Money
from tests import factories

ACTOR = Actor.system("test")


def _usd(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "USD"}


def test_clearing_one_line_keeps_the_currency_the_other_lines_share(session: Session) -> None:
    statement = factories.financial_statement()
    service.update_financial_statement(
        session,
        ACTOR,
        financial_statement_id=statement.id,
        data=FinancialStatementUpdate.model_validate({"cash": None, "revenue": None}),
    )
    session.expire_all()
    assert (statement.cash, statement.revenue, statement.currency) == (None, None, "CNY")
    assert statement.total_assets == Money.of("10000000", "CNY")


def test_a_statement_changes_currency_only_with_every_line_restated(session: Session) -> None:
    statement = factories.financial_statement()
    totals = {
        "total_assets": _usd("1000"),
        "total_liabilities": _usd("550"),
        "total_equity": _usd("450"),
    }
    with pytest.raises(service.StatementCurrencyMismatch) as refused:
        service.update_financial_statement(
            session,
            ACTOR,
            financial_statement_id=statement.id,
            data=FinancialStatementUpdate.model_validate(totals),
        )
    assert len(refused.value.details) == len(STATEMENT_LINES) - len(totals)

    restated = {line: None for line in STATEMENT_LINES} | totals
    service.update_financial_statement(
        session,
        ACTOR,
        financial_statement_id=statement.id,
        data=FinancialStatementUpdate.model_validate(restated),
    )
    assert (statement.currency, statement.total_equity) == ("USD", Money.of("450", "USD"))
