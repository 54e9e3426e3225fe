"""``fengkong keys`` and ``fengkong privacy`` against a real (temporary) SQLite database."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from fengkong.auth.actor import Actor
from fengkong.cli import app
from fengkong.customers.models import Customer, CustomerContact
from fengkong.database import open_database
from fengkong.db import Database
from fengkong.privacy import keys
from fengkong.settings import get_settings
from tests.factories import make_uscc

runner = CliRunner()
ONLY_T1 = "t1:dGVzdC1kYXRhLWtleS1vbmUtMzItYnl0ZXMtbG9uZyE="


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    monkeypatch.setenv("FENGKONG_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    get_settings.cache_clear()
    keys.reload()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    database = open_database()
    yield database
    database.dispose()
    get_settings.cache_clear()
    keys.reload()


def _add_customers(database: Database, count: int, *, start: int) -> None:
    with database.session_scope(actor=Actor.system("test")) as session:
        for number in range(start, start + count):
            customer = Customer(
                uscc=make_uscc(8000 + number),
                name=f"公司{number}",
                legal_representative=f"张{number}",
                legal_representative_id_number="110101199003071235",
            )
            session.add(customer)
            session.flush()
            session.add(CustomerContact(customer_id=customer.id, name=f"李{number}", phone="139"))


def test_rotate_moves_every_value_to_the_current_key_and_resumes_where_it_stopped(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    configured = keys.current_keyring()
    old = keys.Keyring(
        keys=configured.keys, current_id="t0", blind_index_key=configured.blind_index_key
    )
    with keys.using(old):
        _add_customers(database, 3, start=0)
    _add_customers(database, 2, start=3)
    status = runner.invoke(app, ["keys", "status"])
    assert status.exit_code == 0, status.output
    assert "customers.legal_representative" in status.output
    assert "t1 2, t0 3, unknown 0" in status.output

    rotated = runner.invoke(app, ["keys", "rotate", "--batch", "2"])
    assert rotated.exit_code == 0, rotated.output
    assert "6 rows re-encrypted under key t1" in rotated.output
    again = runner.invoke(app, ["keys", "rotate"])
    assert "0 rows re-encrypted" in again.output

    monkeypatch.setenv("FENGKONG_DATA_KEYS", ONLY_T1)
    get_settings.cache_clear()
    keys.reload()
    with database.session_scope(actor=Actor.system("test")) as session:
        names = sorted(c.legal_representative or "" for c in session.query(Customer))
        stored = session.execute(text("SELECT legal_representative FROM customers")).scalars()
        assert all(str(value).startswith("fk1:t1:") for value in stored)
    assert names == [f"张{number}" for number in range(5)]


def test_privacy_export_writes_json_and_erase_respects_a_hold(
    database: Database, tmp_path: Path
) -> None:
    _add_customers(database, 1, start=0)
    output = tmp_path / "export.json"
    exported = runner.invoke(
        app,
        ["privacy", "export", "--by", "name", "--output", str(output)],
        input="张0\n",
    )
    assert exported.exit_code == 0, exported.output
    document = json.loads(output.read_text(encoding="utf-8"))
    assert document["legal_representative_of"][0]["legal_representative"] == "张0"
    held = runner.invoke(app, ["privacy", "hold", "set", "--customer", "1", "--reason", "诉讼"])
    assert held.exit_code == 0, held.output
    refused = runner.invoke(
        app, ["privacy", "erase", "--by", "id_number"], input="110101199003071235\n"
    )
    assert refused.exit_code == 1
    assert "诉讼" in refused.output
    assert runner.invoke(app, ["privacy", "hold", "release", "1"]).exit_code == 0
    erased = runner.invoke(
        app, ["privacy", "erase", "--by", "id_number"], input="110101199003071235\n"
    )
    assert erased.exit_code == 0, erased.output
    assert "legal representative erased for 1 customers" in erased.output
