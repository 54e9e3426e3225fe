"""Imports against committed databases: two at once, and one killed half-way."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from fengkong import tables
from fengkong.auth.actor import Actor
from fengkong.customers.models import Customer
from fengkong.db import Database
from fengkong.imports import service
from fengkong.imports.kinds import ImportKind
from fengkong.imports.service import ImportResult
from fengkong.settings import get_settings
from tests.conftest import BACKENDS, migrated_database
from tests.integration.imports.files import uscc, write_csv

ACTOR = Actor.system("test")
INVOICE = ["invoice_number", "customer_uscc", "issue_date", "due_date", "amount", "currency"]
CUSTOMERS = [uscc(serial) for serial in range(1, 6)]


def _invoices(first: int, last: int, amount: str) -> list[list[str | None]]:
    return [
        [f"INV-{n:05d}", CUSTOMERS[n % len(CUSTOMERS)], "2026-01-05", "2026-02-05", amount, "CNY"]
        for n in range(first, last)
    ]


@pytest.fixture(params=BACKENDS)
def committed(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Database]]:
    """A migrated database holding five customers, committed, on each backend."""
    with migrated_database(request.param, tmp_path) as database:
        with database.session_scope(actor=ACTOR) as session:
            session.add_all(Customer(uscc=code, name=f"客户{code[-4:]}") for code in CUSTOMERS)
        yield database.url, database


def _count(database: Database, model: object) -> int:
    with database.session_scope(actor=ACTOR) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)  # type: ignore[arg-type]


def _import(database: Database, path: Path) -> ImportResult:
    settings = get_settings().model_copy(update={"data_dir": path.parent})
    with database.session_scope(actor=ACTOR) as session:
        return service.import_file(
            session,
            ACTOR,
            kind=ImportKind.INVOICES,
            path=path,
            file_name=path.name,
            settings=settings,
        )


def _together(database: Database, paths: list[Path]) -> list[ImportResult]:
    """Import ``paths`` in threads that start at the same moment, each in its own transaction."""
    start = threading.Barrier(len(paths))
    results: list[ImportResult | BaseException] = [RuntimeError("did not run")] * len(paths)

    def run(index: int) -> None:
        start.wait()
        try:
            results[index] = _import(database, paths[index])
        except BaseException as exc:  # handed to the test thread
            results[index] = exc

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(paths))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return [result for result in results if isinstance(result, ImportResult)]


def test_two_overlapping_imports_at_once_leave_one_copy_of_each_record_and_lose_no_update(
    committed: tuple[str, Database], tmp_path: Path
) -> None:
    _, database = committed
    first = write_csv(tmp_path / "a.csv", INVOICE, _invoices(0, 600, "100.00"))
    second = write_csv(tmp_path / "b.csv", INVOICE, _invoices(300, 900, "200.00"))
    results = _together(database, [first, second])
    assert sum(result.inserted for result in results) == 900
    assert sum(result.updated for result in results) == 300, "the later import updates the overlap"
    with database.session_scope(actor=ACTOR) as session:
        numbers = session.scalars(select(tables.Invoice.invoice_number)).all()
        assert len(numbers) == len(set(numbers)) == 900
        later = max(results, key=lambda result: result.run_id or 0)
        overlap = session.scalars(
            select(tables.Invoice.amount_minor).where(
                tables.Invoice.invoice_number.between("INV-00300", "INV-00599")
            )
        ).all()
        expected = 10000 if later.file_name == "a.csv" else 20000
        assert set(overlap) == {expected}, (
            "the overlap holds the values of the import that came last"
        )


def test_the_same_file_imported_twice_at_once_is_imported_once(
    committed: tuple[str, Database], tmp_path: Path
) -> None:
    _, database = committed
    path = write_csv(tmp_path / "same.csv", INVOICE, _invoices(0, 300, "100.00"))
    copy = tmp_path / "copy"
    copy.mkdir()
    twin = write_csv(copy / "same.csv", INVOICE, _invoices(0, 300, "100.00"))
    results = _together(database, [path, twin])
    assert sorted(result.inserted for result in results) == [0, 300]
    assert _count(database, tables.Invoice) == 300


WAIT_AND_KILL = """
import sys, time
from fengkong import cli
from fengkong.imports import reading, staging, writing

reading.BATCH_ROWS = 50
hook, original = sys.argv.pop(1), None
module = staging if hook == "load" else writing
original = getattr(module, hook)

def pausing(*args, **kwargs):
    result = original(*args, **kwargs)
    print("PAUSED", flush=True)
    time.sleep(120)
    return result

setattr(module, hook, pausing)
sys.argv[0] = "fengkong"
cli.app()
"""


@pytest.mark.parametrize("moment", ["load", "merge"], ids=["mid-file", "after-writing-rows"])
def test_a_killed_import_leaves_nothing_and_running_it_again_imports_the_file_once(
    committed: tuple[str, Database], tmp_path: Path, moment: str
) -> None:
    url, database = committed
    events = _count(database, tables.Event)
    path = write_csv(tmp_path / "invoices.csv", INVOICE, _invoices(0, 500, "100.00"))
    environment = os.environ | {"FENGKONG_DATABASE_URL": url, "FENGKONG_DATA_DIR": str(tmp_path)}
    command = [sys.executable, "-c", WAIT_AND_KILL, moment, "import", "invoices", str(path)]
    with subprocess.Popen(  # noqa: S603 - our own command
        command, env=environment, stdout=subprocess.PIPE, text=True
    ) as process:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.strip() == "PAUSED", line
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    assert _count(database, tables.Invoice) == 0
    assert _count(database, tables.ImportRun) == 0
    assert _count(database, tables.Event) == events

    fengkong = str(Path(sys.executable).with_name("fengkong"))
    again = subprocess.run(  # noqa: S603 - our own command
        [fengkong, "import", "invoices", str(path)],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert again.returncode == 0, again.stderr
    assert _count(database, tables.Invoice) == 500
    assert _count(database, tables.ImportRun) == 1
    assert _count(database, tables.Event) == events + len(CUSTOMERS)
