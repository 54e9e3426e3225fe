"""Fuzz the REST API with schemathesis, authenticated as an admin, and report every 5xx.

    python scripts/fuzz_api.py [--backend sqlite|postgresql|both] [--examples 50] [--seed 1]
                               [--customers 30] [--only /api/v1/customers] [--postgres-url URL]

The long form of ``tests/api/test_schemathesis.py``: each backend gets a throw-away database,
migrated and loaded with a small demo book (so ids in paths resolve), and the app is called in
process (no server, no network). Each operation is sent ``--examples`` valid and as many invalid
requests; writes commit, so later operations see what earlier ones made. Answers to valid requests
are also checked against their documented response schema. Prints a status-class summary per
backend, each 5xx with a curl line to replay it and each schema mismatch; exits 1 if any.
PostgreSQL is expected at 127.0.0.1:5432 (trust auth) or ``--postgres-url``.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("FENGKONG_PASSWORD_TIME_COST", "1")
os.environ.setdefault("FENGKONG_PASSWORD_MEMORY_COST_KIB", "8")

import argparse
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, cast

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as seed_of
from hypothesis.errors import Unsatisfiable
from schemathesis import APIOperation, Case, GenerationMode
from schemathesis.checks import response_schema_conformance
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.core.result import Ok
from schemathesis.python.asgi import ASGIClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from fengkong.app import create_app
from fengkong.auth import service as auth_service
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Role
from fengkong.database import open_database, upgrade
from fengkong.demo import service as demo_service
from fengkong.settings import get_settings

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
ACTOR = Actor.system("fuzz")
ADMIN = "fuzz_admin"


@dataclass
class Report:
    backend: str
    operations: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)
    """Answers to valid requests that do not match the documented response schema."""
    seconds: float = 0.0


@contextmanager
def _database_url(backend: str, postgres_url: str) -> Iterator[str]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as directory:
            yield f"sqlite:///{Path(directory) / 'fuzz.db'}"
        return
    name = f"fengkong_fuzz_{uuid.uuid4().hex[:10]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _fuzz(
    operation: APIOperation[Any, Any, Any, Any],
    client: ASGIClient,
    headers: dict[str, str],
    examples: int,
    seed: int,
    report: Report,
) -> None:
    def _send(case: Case[Any]) -> None:
        try:
            response = case.call(session=client, headers=headers)
        except Exception as exc:  # an exception escaping the app is a 500 too
            report.statuses["5xx"] += 1
            report.failures.append(f"{operation.label}: {type(exc).__name__}: {exc}")
            return
        report.statuses[f"{response.status_code // 100}xx"] += 1
        if response.status_code >= 500:
            report.failures.append(
                f"{operation.label}: {response.status_code}\n    {case.as_curl_command()}"
            )
        elif case.meta is not None and case.meta.generation.mode is GenerationMode.POSITIVE:
            try:
                case.validate_response(response, checks=[response_schema_conformance])
            except (FailureGroup, Failure) as failure:
                report.mismatches.append(f"{operation.label}: {failure}")

    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        run = seed_of(seed)(
            settings(
                max_examples=examples,
                database=None,
                deadline=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )(given(case=operation.as_strategy(generation_mode=mode))(_send))
        )
        try:
            run()
        except Unsatisfiable:  # no invalid request exists for an operation without inputs
            continue


def fuzz_backend(backend: str, arguments: argparse.Namespace) -> Report:
    report = Report(backend)
    started = time.perf_counter()
    with _database_url(backend, arguments.postgres_url) as url:
        upgrade(url)
        database = open_database(url)
        try:
            with database.session_scope(actor=ACTOR) as session:
                demo_service.load_demo(
                    session,
                    ACTOR,
                    customers=arguments.customers,
                    seed=arguments.seed,
                    as_of=date(2026, 11, 30),
                )
                auth_service.create_user(
                    session,
                    ACTOR,
                    username="fuzz_admin",
                    role=Role.ADMIN,
                    password=uuid.uuid4().hex,
                )
                token = auth_service.create_token(
                    session, ACTOR, username="fuzz_admin", name="fuzz"
                )
            app = create_app(database=database, settings=get_settings())
            schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
            headers = {"Authorization": f"Bearer {token}"}
            with ASGIClient(cast(Any, app)) as client:
                for result in schema.get_all_operations():
                    if not isinstance(result, Ok):
                        raise SystemExit(f"the OpenAPI spec does not load: {result.err()}")
                    operation = result.ok()
                    if arguments.only and not operation.path.startswith(arguments.only):
                        continue
                    report.operations += 1
                    _fuzz(operation, client, headers, arguments.examples, arguments.seed, report)
        finally:
            database.dispose()
    report.seconds = time.perf_counter() - started
    return report


def _summary(report: Report) -> str:
    requests = sum(report.statuses.values())
    lines = [
        f"{report.backend}: {report.operations} operations, {requests} requests, "
        f"{report.seconds:.0f} s",
        *(f"  {status_class}: {count}" for status_class, count in sorted(report.statuses.items())),
        f"  server errors: {len(report.failures)}",
        *(f"  - {failure}" for failure in report.failures),
        f"  responses not matching their schema: {len(report.mismatches)}",
        *(f"  - {mismatch}" for mismatch in report.mismatches),
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--examples", type=int, default=50, help="per operation and mode")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--customers", type=int, default=30, help="demo customers to load")
    parser.add_argument("--only", default="", help="fuzz only paths starting with this")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    arguments = parser.parse_args()
    backends = ("sqlite", "postgresql") if arguments.backend == "both" else (arguments.backend,)
    reports = [fuzz_backend(backend, arguments) for backend in backends]
    for report in reports:
        sys.stdout.write("\n" + _summary(report))
    return 1 if any(report.failures or report.mismatches for report in reports) else 0


if __name__ == "__main__":
    sys.exit(main())
