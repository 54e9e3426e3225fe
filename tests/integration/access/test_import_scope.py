"""Imports write through Core statements the session's scope does not see, so they keep a sales
importer inside his scope themselves: another owner's customer reads as unknown in an orders
file, and a customers file may not overwrite a customer someone else looks after."""

from __future__ import annotations

from pathlib import Path

import httpx2
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fengkong.customers.models import Customer
from fengkong.orders.models import Order
from fengkong.settings import get_settings
from tests import factories
from tests.personas import Persona, Personas


@pytest.fixture(autouse=True)
def _data_dir(app: FastAPI, tmp_path: Path) -> None:
    app.state.settings = get_settings().model_copy(update={"data_dir": tmp_path})


def _upload(client: TestClient, persona: Persona, kind: str, content: str) -> httpx2.Response:
    return client.post(
        f"/api/v1/imports/{kind}",
        headers=persona.headers | {"Accept-Language": "en"},
        files={"file": (f"{kind}.csv", content.encode("utf-8"), "text/csv")},
    )


def _orders_of(session: Session, customer: Customer) -> int:
    statement = select(func.count()).select_from(Order).where(Order.customer_id == customer.id)
    return int(session.scalar(statement) or 0)


def test_an_orders_file_naming_another_owners_customer_says_unknown_customer(
    client: TestClient, personas: Personas, session: Session
) -> None:
    theirs = factories.customer(region_code="440300")
    own = factories.customer_of(personas.sam_sales.user, region_code="440300")
    header = "订单号,统一社会信用代码,下单日期,金额,币种\r\n"
    refused = _upload(
        client,
        personas.sam_sales,
        "orders",
        header + f"SO-1,{theirs.uscc},2026-11-02,100,CNY\r\n",
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["details"][0]["code"] == "unknown_customer"
    assert _orders_of(session, theirs) == 0
    accepted = _upload(
        client, personas.sam_sales, "orders", header + f"SO-2,{own.uscc},2026-11-02,100,CNY\r\n"
    )
    assert accepted.status_code in (200, 201), accepted.text
    assert _orders_of(session, own) == 1
    by_analyst = _upload(
        client,
        personas.alice_analyst,
        "orders",
        header + f"SO-3,{theirs.uscc},2026-11-02,1,CNY\r\n",
    )
    assert by_analyst.status_code in (200, 201), by_analyst.text


def test_a_customers_file_may_not_overwrite_another_owners_customer(
    client: TestClient, personas: Personas, session: Session
) -> None:
    theirs = factories.customer(region_code="440300", name="深圳他人客户有限公司")
    content = f"统一社会信用代码,客户名称\r\n{theirs.uscc},改名有限公司\r\n"
    refused = _upload(client, personas.sam_sales, "customers", content)
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["details"][0]["code"] == "not_your_customer"
    session.refresh(theirs)
    assert theirs.name == "深圳他人客户有限公司"
