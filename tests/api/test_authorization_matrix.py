"""Every REST route × every role: the status each gets follows the permission the route declares.

The walk derives each route's permission from its declaration (``fengkong.api.security``), fills
path parameters with ids of rows that exist, and sends a minimal request: without credentials
→ 401; a role lacking the permission → 403; a role holding it → neither (200, 404, 422, …).
A hand-written table of sensitive routes pins exact statuses too, so the test does not only
restate the code it checks. The walk runs on SQLite only: it sends ~1,000 requests and what it
checks (dependency resolution) does not differ between backends; the scope tests run on both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from fengkong.access import regions
from fengkong.api.security import Public, RequirePermission, _declarations
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.db import Database
from tests import factories
from tests.personas import Persona, Personas

_PARAMETER = re.compile(r"{([a-z_]+)(?::[a-z]+)?}")
ROLES = ("adam_admin", "bob_manager", "alice_analyst", "sam_sales", "ada_auditor")


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    permission: Permission | None
    public: bool
    declaration: RequirePermission | None  # the dependency that declares it (None: public)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def routes_of(app: FastAPI, *, prefix: str) -> list[Route]:
    """Every route under ``prefix`` with the permission its one declaration names."""
    found: list[Route] = []
    for context in iter_route_contexts(app.routes):
        path = context.path or ""
        if not isinstance(context.original_route, APIRoute) or not path.startswith(prefix):
            continue
        declared = list(_declarations(context.dependant))
        assert len(declared) >= 1, path
        public = any(isinstance(item, Public) for item in declared)
        requirements = [item for item in declared if isinstance(item, RequirePermission)]
        assert len({item.permission for item in requirements}) <= 1, path
        declaration = requirements[0] if requirements else None
        permission = declaration.permission if declaration is not None else None
        for method in sorted(context.methods or ()):
            found.append(Route(method, path, permission, public, declaration))
    return found


@dataclass(frozen=True)
class Rows:
    """Ids of rows that exist, by path parameter name; unknown names get 1 (a 404 is fine)."""

    ids: dict[str, str]

    def fill(self, path: str) -> str:
        return _PARAMETER.sub(lambda match: self.ids.get(match.group(1), "1"), path)


def make_rows(session: Session) -> Rows:
    customer = factories.customer()  # owned by nobody, in Shanghai (sales' persona region)
    invoice = factories.invoice(customer_id=customer.id)
    payment = factories.payment(customer_id=customer.id)
    ids = {
        "customer_id": customer.id,
        "invoice_id": invoice.id,
        "payment_id": payment.id,
        "order_id": factories.order(customer_id=customer.id).id,
        "contract_id": factories.contract(customer_id=customer.id).id,
        "financial_statement_id": factories.financial_statement(customer_id=customer.id).id,
        "credit_report_id": factories.credit_report(customer_id=customer.id).id,
        "legal_event_id": factories.legal_event(customer_id=customer.id).id,
        "related_party_id": factories.related_party(customer_id=customer.id).id,
    }
    return Rows(
        {
            **{name: str(value) for name, value in ids.items()},
            "kind": "customers",
            "topic": "alert_raised",
            "version": "1",
        }
    )


@dataclass(frozen=True)
class Answer:
    status: int
    code: str | None  # the error code of a 4xx answer in our error format
    permission: str | None  # the permission a 403 names as missing


def send(client: TestClient, route: Route, path: str, headers: dict[str, str]) -> Answer:
    body: dict[str, Any] | None = {} if route.method in ("POST", "PUT", "PATCH") else None
    response = client.request(
        route.method, path, headers=headers, follow_redirects=False, json=body
    )
    error: dict[str, Any] = {}
    if response.headers.get("content-type", "").startswith("application/json"):
        payload = response.json()
        error = (payload.get("error") or {}) if isinstance(payload, dict) else {}
    details = error.get("details")
    permission = details.get("permission") if isinstance(details, dict) else None
    return Answer(response.status_code, error.get("code"), permission)


def expected_problem(route: Route, persona: Persona | None, answer: Answer) -> str | None:
    """What is wrong with ``answer`` for ``persona`` (``None``: no credentials), if anything.

    A holder may still get a 403 from a business rule with its own error code (maker-checker:
    nobody approves their own model or decides their own request), never ``permission_denied``.
    """
    status = answer.status
    if route.public:
        return None if status not in (401, 403) else f"public route answered {status}"
    if persona is None:
        return None if status == 401 else f"no credentials answered {status}, not 401"
    holds = route.permission is None or persona.actor.can(route.permission)
    name = persona.user.username
    if holds and (status == 401 or answer.code == "permission_denied"):
        return f"{name} holds {route.permission} but got {status} {answer.code}"
    if not holds and (status != 403 or answer.permission != route.permission):
        return f"{name} lacks {route.permission} but got {status} naming {answer.permission}"
    return None


@pytest.fixture
def sqlite_only(database: Database) -> None:
    if database.backend != "sqlite":
        pytest.skip("the full walk runs on SQLite (see the module docstring)")


@pytest.fixture
def rows(session: Session, personas: Personas) -> Rows:
    return make_rows(session)


@pytest.mark.parametrize("role", [None, *ROLES])
@pytest.mark.usefixtures("sqlite_only")
def test_every_api_route_answers_each_role_as_its_declared_permission_says(
    app: FastAPI, client: TestClient, personas: Personas, rows: Rows, role: str | None
) -> None:
    persona: Persona | None = getattr(personas, role) if role is not None else None
    headers = persona.headers if persona is not None else {}
    walked = routes_of(app, prefix="/api/")
    assert len(walked) > 150
    problems = []
    for route in walked:
        answer = send(client, route, rows.fill(route.path), headers)
        problem = expected_problem(route, persona, answer)
        if problem is not None:
            problems.append(f"{route}: {problem}")
    assert problems == []


# Exact statuses for routes whose access matters most, per role in the order of ROLES
# (admin, risk manager, credit analyst, sales, auditor). Written by hand from the role matrix
# in docs/security.md and the object-level rules, not derived from the routes' declarations.
# "elsewhere" is a customer (and its invoice) outside the sales user's region and owned by nobody.
SENSITIVE: list[tuple[str, str, tuple[int, int, int, int, int]]] = [
    ("GET", "/api/v1/me", (200, 200, 200, 200, 200)),
    ("GET", "/api/v1/customers", (200, 200, 200, 200, 200)),
    ("GET", "/api/v1/customers/{elsewhere}", (200, 200, 200, 404, 200)),
    ("GET", "/api/v1/customers/{elsewhere}/exposure", (200, 200, 200, 404, 200)),
    ("GET", "/api/v1/invoices/{elsewhere_invoice}", (200, 200, 200, 404, 200)),
    ("GET", "/api/v1/customers/{own}", (200, 200, 200, 200, 200)),
    ("GET", "/api/v1/portfolio/exposure", (200, 200, 200, 403, 200)),
    ("GET", "/api/v1/financial-statements", (200, 200, 200, 403, 200)),
    ("GET", "/api/v1/credit-reports", (200, 200, 200, 403, 200)),
    ("GET", "/api/v1/legal-events", (200, 200, 200, 403, 200)),
    ("GET", "/api/v1/models", (200, 200, 200, 403, 200)),
    ("GET", "/api/v1/reviews", (200, 200, 200, 403, 200)),
    ("GET", "/api/v1/webhooks", (200, 403, 403, 403, 403)),
    ("GET", "/api/v1/deliveries", (200, 403, 403, 403, 403)),
    ("POST", "/api/v1/customers", (201, 201, 201, 201, 403)),
    ("POST", "/api/v1/events", (422, 422, 422, 403, 403)),
    ("POST", "/api/v1/limit-policies", (422, 422, 403, 403, 403)),
    ("PATCH", "/api/v1/customers/{elsewhere}", (200, 200, 200, 404, 403)),
]


@pytest.fixture
def sensitive_rows(session: Session, personas: Personas) -> dict[str, str]:
    system = Actor.system("test")
    regions.assign_region(session, system, username="sam_sales", region_code="31")
    elsewhere = factories.customer(region_code="440300")
    own = factories.customer_of(personas.sam_sales.user, region_code="440300")
    return {
        "elsewhere": str(elsewhere.id),
        "elsewhere_invoice": str(factories.invoice(customer_id=elsewhere.id).id),
        "own": str(own.id),
    }


@pytest.mark.parametrize(("method", "path", "statuses"), SENSITIVE)
def test_sensitive_routes_answer_each_role_exactly(
    client: TestClient,
    personas: Personas,
    sensitive_rows: dict[str, str],
    method: str,
    path: str,
    statuses: tuple[int, ...],
) -> None:
    url = path.format(**sensitive_rows)
    got = []
    for index, role in enumerate(ROLES):
        persona: Persona = getattr(personas, role)
        body: dict[str, Any] | None = None
        if method == "POST" and path == "/api/v1/customers":
            body = {"uscc": factories.make_uscc(900 + index), "name": f"矩阵客户{index}"}
        elif method == "PATCH":
            body = {"address": f"矩阵路{index}号"}
        elif method == "POST":
            body = {"not_a_field": True}
        response = client.request(method, url, headers=persona.headers, json=body)
        got.append(response.status_code)
    assert tuple(got) == statuses
    assert client.request(method, url).status_code == 401
