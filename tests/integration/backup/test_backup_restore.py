"""``fengkong backup`` / ``fengkong restore`` round trips on both backends: after the restore every
table's checksum matches the backup's and the audit chain verifies; damaged backups are refused."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from fengkong import recorders
from fengkong.audit.chain import verify_chain
from fengkong.auth.actor import Actor
from fengkong.backup import service
from fengkong.cli import app
from fengkong.database import open_database
from fengkong.settings import get_settings
from tests.conftest import BACKENDS, migrated_database_url

runner = CliRunner()


@pytest.fixture(params=BACKENDS)
def demo_url(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """A committed database with a small demo load (customers, invoices, scores, users, audit)."""
    with migrated_database_url(request.param, tmp_path) as url:
        monkeypatch.setenv("FENGKONG_DATABASE_URL", url)
        get_settings.cache_clear()
        loaded = runner.invoke(app, ["demo", "--customers", "4", "--as-of", "2026-06-30"])
        assert loaded.exit_code == 0, loaded.output
        sealed = runner.invoke(app, ["audit", "seal"])  # what the background sealer does
        assert sealed.exit_code == 0, sealed.output
        yield url
        get_settings.cache_clear()


def _checksums(url: str) -> dict[str, service.TableChecksum]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return service.table_checksums(connection)
    finally:
        engine.dispose()


def _damage(url: str) -> None:
    """Changes a restore must undo: an edited customer, a new audit entry, a dropped table."""
    database = open_database(url)
    try:
        with database.session_scope(actor=Actor.system("vandal")) as session:
            session.execute(sa.text("UPDATE customers SET name = '被改掉的名称'"))
            recorders.record_action(
                session, action="export", entity_type="customers", entity_id="*"
            )
            session.execute(sa.text("DROP TABLE events"))
    finally:
        database.dispose()


def test_a_round_trip_restores_every_table_and_the_audit_chain(
    demo_url: str, tmp_path: Path
) -> None:
    target = tmp_path / "backups" / "fengkong.backup"
    original = _checksums(demo_url)
    assert original["customers"].rows == 4
    assert original["audit_log"].rows > 0

    saved = runner.invoke(app, ["backup", str(target)])
    assert saved.exit_code == 0, saved.output
    manifest = service.check_backup(target)
    assert manifest.tables == original
    assert manifest.revision is not None
    assert manifest.audit_entries == original["audit_log"].rows

    _damage(demo_url)
    damaged = _checksums(demo_url)
    assert damaged["customers"] != original["customers"]
    assert "events" not in damaged

    refused = runner.invoke(app, ["restore", str(target)])
    assert refused.exit_code == 1
    assert "already holds data; pass --force" in refused.output

    restored = runner.invoke(app, ["restore", str(target), "--force"])
    assert restored.exit_code == 0, restored.output
    assert f"{len(original)} tables match their checksums" in restored.output
    assert _checksums(demo_url) == original
    engine = sa.create_engine(demo_url)
    try:
        with engine.connect() as connection:
            chain = verify_chain(connection)
            with pytest.raises(DBAPIError, match="append-only"):
                connection.execute(sa.text("DELETE FROM audit_log"))
    finally:
        engine.dispose()
    assert chain.intact
    assert chain.last_hash == manifest.audit_last_hash


def test_a_damaged_backup_is_refused_before_anything_is_touched(
    demo_url: str, tmp_path: Path
) -> None:
    target = tmp_path / "fengkong.backup"
    service.backup(demo_url, target)
    before = _checksums(demo_url)
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0xFF
    target.write_bytes(bytes(data))

    result = runner.invoke(app, ["restore", str(target), "--force"])

    assert result.exit_code == 1
    assert f"{target} is damaged: its SHA-256 is" in result.output
    assert _checksums(demo_url) == before


def test_a_backup_without_its_manifest_is_refused(demo_url: str, tmp_path: Path) -> None:
    target = tmp_path / "fengkong.backup"
    service.backup(demo_url, target)
    service.manifest_path(target).unlink()

    with pytest.raises(service.BackupError, match="without its manifest cannot be checked"):
        service.restore(demo_url, target, force=True)


def test_a_restore_whose_tables_do_not_match_the_manifest_fails(
    demo_url: str, tmp_path: Path
) -> None:
    target = tmp_path / "fengkong.backup"
    service.backup(demo_url, target)
    manifest_file = service.manifest_path(target)
    written = json.loads(manifest_file.read_text(encoding="utf-8"))
    written["tables"]["customers"]["rows"] = 5
    manifest_file.write_text(json.dumps(written), encoding="utf-8")

    with pytest.raises(service.BackupError, match="table customers does not match the backup"):
        service.restore(demo_url, target, force=True)


def test_a_backup_of_the_other_backend_is_refused(demo_url: str, tmp_path: Path) -> None:
    target = tmp_path / "fengkong.backup"
    manifest = service.backup(demo_url, target)
    other = (
        "postgresql+psycopg://nobody@127.0.0.1/none"
        if manifest.backend == "sqlite"
        else (f"sqlite:///{tmp_path / 'other.db'}")
    )

    with pytest.raises(service.BackupError, match=f"backup is of a {manifest.backend} database"):
        service.restore(other, target)


def test_a_backup_seals_pending_entries_so_its_chain_covers_the_whole_log(
    demo_url: str, tmp_path: Path
) -> None:
    database = open_database(demo_url)
    try:
        with database.session_scope(actor=Actor.system("late-writer")) as session:
            recorders.record_action(
                session, action="export", entity_type="customers", entity_id="*"
            )
    finally:
        database.dispose()

    written = _checksums(demo_url)["audit_log"].rows

    saved = runner.invoke(app, ["backup", str(tmp_path / "fengkong.backup")])

    assert saved.exit_code == 0, saved.output
    manifest = service.check_backup(tmp_path / "fengkong.backup")
    assert manifest.audit_entries == written
    assert manifest.audit_break is None


def test_a_database_with_a_broken_chain_is_still_backed_up_and_restored_as_it_was(
    demo_url: str, tmp_path: Path
) -> None:
    engine = sa.create_engine(demo_url)
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(sa.text("SET LOCAL session_replication_role = replica"))
            else:
                connection.execute(sa.text("DROP TRIGGER audit_log_no_update"))
            first = connection.scalar(sa.text("SELECT min(id) FROM audit_log"))
            connection.execute(
                sa.text("UPDATE audit_log SET actor_username = 'someone' WHERE id = :id"),
                {"id": first},
            )
    finally:
        engine.dispose()
    target = tmp_path / "fengkong.backup"

    saved = runner.invoke(app, ["backup", str(target)])

    assert saved.exit_code == 0, saved.output
    assert f"audit chain was already broken at entry {first} (" in saved.output
    manifest = service.check_backup(target)
    assert manifest.audit_break is not None
    assert manifest.audit_break.startswith(f"entry {first} (")
    report = service.restore(demo_url, target, force=True)
    assert report.audit.broken is not None
    assert report.audit.broken.id == first
