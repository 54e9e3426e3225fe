"""Schemathesis over the whole OpenAPI spec, authenticated as an admin: no input, valid or not,
makes the API answer 5xx, and answers to valid requests match their documented schemas.

Bounded for the suite (a few derandomised examples per operation and mode, so CI sees the same
cases every run); ``scripts/fuzz_api.py`` is the long form. It runs on SQLite only here: the
failures it hunts (unchecked input reaching the service layer) are the backend's business only
for NUL bytes and integer overflow, which have their own PostgreSQL tests below, and one backend
keeps the suite's wall time down.
"""

from __future__ import annotations

from datetime import date
from typing import Any, cast

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import APIOperation, Case, GenerationMode
from schemathesis.checks import response_schema_conformance
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.core.result import Ok
from schemathesis.python.asgi import ASGIClient
from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.db import Database
from fengkong.demo import service as demo_service
from tests import factories
from tests.personas import Personas

EXAMPLES_PER_MODE = 3


def _seed(session: Session) -> None:
    """A small demo book (customers 1…n with invoices, orders, ratings) so ids in paths resolve."""
    demo_service.load_demo(
        session, Actor.system("test"), customers=8, seed=7, as_of=date(2026, 11, 30)
    )
    factories.contact(customer_id=1)


def fuzz_operation(
    operation: APIOperation[Any, Any, Any, Any],
    client: ASGIClient,
    headers: dict[str, str],
    examples: int,
) -> list[str]:
    """Send ``examples`` positive and negative cases; return one line per 5xx answer, and per
    answer to a valid request that does not match its documented schema."""
    failures: list[str] = []

    def _send(case: Case[Any]) -> None:
        try:
            response = case.call(session=client, headers=headers)
        except Exception as exc:  # an exception escaping the app is a 500 too
            failures.append(f"{operation.label}: {type(exc).__name__}: {exc}")
            return
        if response.status_code >= 500:
            failures.append(
                f"{operation.label}: {response.status_code} for {case.as_curl_command()}"
            )
        elif case.meta is not None and case.meta.generation.mode is GenerationMode.POSITIVE:
            try:
                case.validate_response(response, checks=[response_schema_conformance])
            except (FailureGroup, Failure) as failure:
                failures.append(f"{operation.label}: {failure}")

    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        run = settings(
            max_examples=examples,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )(given(case=operation.as_strategy(generation_mode=mode))(_send))
        try:
            run()
        except Unsatisfiable:  # no invalid request exists for an operation without inputs
            continue
    return failures


@pytest.fixture
def sqlite_only(database: Database) -> None:
    if database.engine.dialect.name != "sqlite":
        pytest.skip("the bounded fuzz runs on SQLite; scripts/fuzz_api.py covers PostgreSQL")


@pytest.mark.usefixtures("sqlite_only")
def test_no_operation_answers_a_server_error(
    app: FastAPI, session: Session, personas: Personas
) -> None:
    _seed(session)
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    results = list(schema.get_all_operations())
    operations = [result.ok() for result in results if isinstance(result, Ok)]
    assert len(operations) == len(results), "some operations' schemas do not load"
    assert len(operations) > 150  # the whole API, not a schema that failed to load

    failures: list[str] = []
    with ASGIClient(cast(Any, app)) as client:
        for operation in operations:
            failures += fuzz_operation(
                operation, client, personas.adam_admin.headers, EXAMPLES_PER_MODE
            )
    assert not failures, "\n".join(failures)


def test_nul_bytes_are_refused_by_name(client: TestClient, personas: Personas) -> None:
    """PostgreSQL cannot store U+0000; it is a 422 naming the field on both backends."""
    response = client.post(
        "/api/v1/customers",
        json={"uscc": factories.make_uscc(901), "name": "上海\x00贸易"},
        headers=personas.adam_admin.headers,
    )
    assert response.status_code == 422
    assert [detail["field"] for detail in response.json()["error"]["details"]] == ["name"]


def test_nul_bytes_in_a_query_are_refused(client: TestClient, personas: Personas) -> None:
    response = client.get(
        "/api/v1/customers", params={"q": "上海\x00"}, headers=personas.adam_admin.headers
    )
    assert response.status_code == 422


BEYOND_AN_ID = 2**33
"""Past the INTEGER primary keys of PostgreSQL (2**31 - 1), well inside Python's int."""


@pytest.mark.parametrize(
    ("url", "field"),
    [
        (f"/api/v1/customers/{BEYOND_AN_ID}", "customer_id"),
        (f"/api/v1/customers?owner_id={BEYOND_AN_ID}", "owner_id"),
        (f"/api/v1/customers/1/interactions?page={2**70}", "page"),
    ],
)
def test_huge_integers_in_paths_and_queries_are_refused_by_name(
    client: TestClient, personas: Personas, url: str, field: str
) -> None:
    response = client.get(url, headers=personas.adam_admin.headers)
    assert response.status_code == 422, response.text
    assert [detail["field"] for detail in response.json()["error"]["details"]] == [field]


def test_huge_integers_in_a_body_are_refused_by_name(
    client: TestClient, personas: Personas
) -> None:
    body = {
        "customer_id": BEYOND_AN_ID,
        "invoice_number": "INV-HUGE",
        "issue_date": "2026-01-10",
        "due_date": "2026-02-09",
        "amount": {"amount": "10.00", "currency": "CNY"},
    }
    response = client.post("/api/v1/invoices", json=body, headers=personas.adam_admin.headers)
    assert response.status_code == 422, response.text
    assert [detail["field"] for detail in response.json()["error"]["details"]] == ["customer_id"]


def test_huge_integers_in_a_form_are_refused_by_name(
    client: TestClient, personas: Personas
) -> None:
    response = client.post(
        "/api/v1/models/compare",
        data={
            "champion_id": str(BEYOND_AN_ID),
            "challenger_id": "1",
            "target": "bad",
            "bad_value": "1",
        },
        files={"file": ("data.csv", b"bad\n1\n", "text/csv")},
        headers=personas.adam_admin.headers,
    )
    assert response.status_code == 422, response.text
    assert [detail["field"] for detail in response.json()["error"]["details"]] == ["champion_id"]


def test_an_upload_may_carry_an_idempotency_key(client: TestClient, personas: Personas) -> None:
    """A form body is fingerprinted from its parsed fields: FastAPI has consumed the stream by
    the time the key is claimed (this was a 500)."""
    headers = {**personas.adam_admin.headers, "Idempotency-Key": "upload-1"}
    form = {"champion_id": "999999", "challenger_id": "999998", "target": "bad", "bad_value": "1"}
    upload = {"file": ("data.csv", b"bad\n1\n", "text/csv")}
    response = client.post("/api/v1/models/compare", data=form, files=upload, headers=headers)
    assert response.status_code == 404, response.text
    assert response.json()["error"]["code"] == "model_not_found"


def test_an_action_on_an_unknown_customer_is_not_found(
    client: TestClient, personas: Personas
) -> None:
    """This was a foreign-key violation, a 500."""
    response = client.post(
        "/api/v1/alert-actions",
        json={"customer_id": 999_999, "code": "collection_task", "note": "催款"},
        headers=personas.adam_admin.headers,
    )
    assert response.status_code == 404, response.text
    assert response.json()["error"]["code"] == "customer_not_found"


@pytest.mark.parametrize(
    ("method", "url", "body", "field"),
    [
        ("post", "/api/v1/monitoring/evaluate", {"as_of": "9999-12-31"}, "as_of"),
        ("get", "/api/v1/customers/1/exposure?as_of=0001-01-01", None, "as_of"),
    ],
)
def test_dates_at_the_ends_of_the_calendar_are_refused_by_name(
    client: TestClient,
    personas: Personas,
    method: str,
    url: str,
    body: dict[str, str] | None,
    field: str,
) -> None:
    """Date arithmetic on 9999-12-31 overflowed (a 500); business dates lie in 1000–2999."""
    response = client.request(method, url, json=body, headers=personas.adam_admin.headers)
    assert response.status_code == 422, response.text
    assert [detail["field"] for detail in response.json()["error"]["details"]] == [field]
