"""A real server for browser tests: uvicorn in a background thread, on a free loopback port, in
front of a freshly migrated SQLite file whose seed data is committed (a browser cannot see the
rolled-back session the other tests use)."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, sync_playwright

from fengkong.app import create_app
from fengkong.auth import service as auth_service
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Role
from fengkong.customers import service as customers_service
from fengkong.customers.schemas import CustomerCreate
from fengkong.database import open_database
from fengkong.db import Database
from fengkong.settings import get_settings
from fengkong.web.setup import STATIC_DIR
from tests.conftest import migrated_sqlite_url
from tests.factories import make_uscc
from tests.personas import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
USERNAME = "alice_analyst"


@dataclass(frozen=True)
class SeededCustomer:
    uscc: str
    name: str
    region_code: str


CUSTOMERS = (
    SeededCustomer(make_uscc(201, "440300"), "深圳芯片制造有限公司", "440300"),
    SeededCustomer(make_uscc(202, "310000"), "上海宝钢贸易有限公司", "310000"),
    SeededCustomer(make_uscc(203, "440100"), "广州绿野农业合作社", "440100"),
    SeededCustomer(make_uscc(204, "110000"), "北京远景金融服务有限公司", "110000"),
)


@dataclass(frozen=True)
class LiveServer:
    url: str
    database: Database
    """The server's database, for a test to add what its pages should show."""


def _ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    if not CHROMIUM.exists():
        if _ci():
            pytest.fail(f"CI is set but {CHROMIUM} is missing (`make browser` installs it)")
        pytest.skip(f"{CHROMIUM} is not installed (`make browser` installs Debian's chromium)")
    if not (STATIC_DIR / "vendor" / "htmx.min.js").exists():
        pytest.fail("the front-end assets are not built: run `make assets`")
    return CHROMIUM


@pytest.fixture(scope="module")
def chromium(chromium_path: Path) -> Iterator[Browser]:
    """One headless Chromium per test module, for tests that open their own contexts."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(chromium_path), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


def _seed(database: Database) -> None:
    system = Actor.system("e2e")
    with database.session_scope(actor=system) as session:
        auth_service.create_user(
            session, system, username=USERNAME, role=Role.CREDIT_ANALYST, password=PASSWORD
        )
        for customer in CUSTOMERS:
            customers_service.create_customer(
                session,
                system,
                CustomerCreate(
                    uscc=customer.uscc,
                    name=customer.name,
                    region_code=customer.region_code,
                    industry_code="C39",
                ),
            )


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    database_url = migrated_sqlite_url(tmp_path_factory.mktemp("e2e"))
    database = open_database(database_url)
    _seed(database)
    app = create_app(database=database, settings=get_settings())
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield LiveServer(url=f"http://127.0.0.1:{port}", database=database)
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        listener.close()
        database.dispose()
