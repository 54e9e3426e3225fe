"""``fengkong serve`` on PostgreSQL as production runs it: several server processes answering, and
the audit chain's sealer running once beside them."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from fengkong import recorders
from fengkong.audit.chain import pending_entries
from fengkong.auth.actor import Actor
from fengkong.database import open_database
from tests.conftest import migrated_database_url


@pytest.fixture
def postgres_url(tmp_path: Path) -> Iterator[str]:
    with migrated_database_url("postgresql", tmp_path) as url:
        yield url


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _server_processes(pid: int) -> int:
    """Children of ``pid`` that uvicorn spawned to serve (not multiprocessing's helpers)."""
    found = 0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                status = (entry / "status").read_text()
                command = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if f"\nPPid:\t{pid}\n" in status and b"spawn_main" in command:
                found += 1
    return found


def _wait_until(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
            return int(answer.status) == 200
    except OSError:
        return False


def test_serve_runs_the_workers_asked_for_and_seals_audit_entries(
    postgres_url: str, tmp_path: Path
) -> None:
    port = _free_port()
    environment = os.environ | {
        "FENGKONG_DATABASE_URL": postgres_url,
        "FENGKONG_DATA_DIR": str(tmp_path / "var"),
    }
    command = [
        sys.executable,
        "-c",
        "import sys; from fengkong import cli; sys.argv[0] = 'fengkong'; cli.app()",
        "serve",
        "--port",
        str(port),
        "--workers",
        "2",
    ]
    server = subprocess.Popen(command, env=environment)  # noqa: S603 - our own command
    database = open_database(postgres_url)
    try:
        assert _wait_until(lambda: _healthy(port), 60)
        workers = _server_processes(server.pid)
        with database.session_scope(actor=Actor.system("serve-test")) as session:
            recorders.record_action(
                session, action="export", entity_type="customers", entity_id="*"
            )

        def sealed() -> bool:
            with database.engine.connect() as connection:
                return pending_entries(connection) == 0

        assert _wait_until(sealed, 20)
    finally:
        database.dispose()
        server.send_signal(signal.SIGTERM)
        exit_code = server.wait(timeout=60)

    assert workers == 2
    assert exit_code == 0
