"""Audit entries sealed into the chain after commit on PostgreSQL: a chain position, pending rows.

Entries are inserted pending (no position, no hashes) and ``fengkong.audit.chain.seal_pending``
links them later, so writers no longer queue on the chain's lock until their commit. Existing
entries were chained in id order, so their position is their id. The append-only trigger now
allows one update of a row: its sealing, which fills the three chain columns of a pending entry
and changes nothing else. The triggers are dropped before and recreated after the batch
operations: SQLite's batch mode recreates the table, and the position update must pass them.
A downgrade links every entry again in id order, the order revision 0020 verifies.

Revision ID: 0021_audit_chain_sealing
Revises: 0020_report_subscriptions
Create Date: 2026-12-06 02:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import fengkong.db
from fengkong.audit.chain import GENESIS_HASH, compute_entry_hash

revision: str = "0021_audit_chain_sealing"
down_revision: str | None = "0020_report_subscriptions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PENDING = "chain_position IS NULL"
_BATCH = 1000

_audit_log = sa.table(
    "audit_log",
    sa.column("id", sa.Integer()),
    sa.column("occurred_at", fengkong.db.UTCDateTime(timezone=True)),
    sa.column("actor_id", sa.Integer()),
    sa.column("actor_username", sa.String()),
    sa.column("action", sa.String()),
    sa.column("entity_type", sa.String()),
    sa.column("entity_id", sa.String()),
    sa.column("before", sa.JSON()),
    sa.column("after", sa.JSON()),
    sa.column("prev_hash", sa.String()),
    sa.column("entry_hash", sa.String()),
)

_PG_SEALING_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
        AND OLD.chain_position IS NULL AND OLD.prev_hash IS NULL AND OLD.entry_hash IS NULL
        AND NEW.chain_position IS NOT NULL AND NEW.prev_hash IS NOT NULL
        AND NEW.entry_hash IS NOT NULL
        AND (NEW.id, NEW.occurred_at, NEW.actor_id, NEW.actor_username, NEW.action,
             NEW.entity_type, NEW.entity_id, NEW.before::text, NEW.after::text)
            IS NOT DISTINCT FROM
            (OLD.id, OLD.occurred_at, OLD.actor_id, OLD.actor_username, OLD.action,
             OLD.entity_type, OLD.entity_id, OLD.before::text, OLD.after::text)
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION USING
        MESSAGE = 'audit_log is append-only: ' || TG_OP || ' refused',
        ERRCODE = 'insufficient_privilege';
END;
$$
"""
_PG_STRICT_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING
        MESSAGE = 'audit_log is append-only: ' || TG_OP || ' refused',
        ERRCODE = 'insufficient_privilege';
END;
$$
"""
_PG_TRIGGER = (
    "CREATE TRIGGER audit_log_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
)
_SQLITE_TRIGGERS = (
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE refused'); END",
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: DELETE refused'); END",
)


def _drop_row_triggers(dialect: str) -> None:
    if dialect == "postgresql":
        op.execute("DROP TRIGGER audit_log_no_update_or_delete ON audit_log")
    else:
        op.execute("DROP TRIGGER audit_log_no_delete")
        op.execute("DROP TRIGGER audit_log_no_update")


def _create_row_triggers(dialect: str, function: str) -> None:
    if dialect == "postgresql":
        op.execute(function)
        op.execute(_PG_TRIGGER)
    else:
        for statement in _SQLITE_TRIGGERS:
            op.execute(statement)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    _drop_row_triggers(dialect)
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chain_position", sa.BigInteger(), nullable=True))
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=True)
        batch_op.alter_column("entry_hash", existing_type=sa.String(length=64), nullable=True)
    op.execute("UPDATE audit_log SET chain_position = id")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_audit_log_chain_position"), ["chain_position"], unique=True
        )
        batch_op.create_index(
            "ix_audit_log_pending",
            ["id"],
            postgresql_where=sa.text(_PENDING),
            sqlite_where=sa.text(_PENDING),
        )
    _create_row_triggers(dialect, _PG_SEALING_FUNCTION)


def _rechain_in_id_order() -> None:
    """Revision 0020 walks the chain in id order and has no pending entries: link every entry
    again in id order (a late commit was sealed out of it; pending ones were not sealed)."""
    connection = op.get_bind()
    previous = GENESIS_HASH
    after_id = 0
    while True:
        rows = connection.execute(
            sa.select(_audit_log)
            .where(_audit_log.c.id > after_id)
            .order_by(_audit_log.c.id)
            .limit(_BATCH)
        ).all()
        if not rows:
            return
        links = []
        for row in rows:
            entry_hash = compute_entry_hash(previous, row._asdict())
            links.append({"key": row.id, "prev_hash": previous, "entry_hash": entry_hash})
            previous = entry_hash
        connection.execute(
            sa.update(_audit_log)
            .where(_audit_log.c.id == sa.bindparam("key"))
            .values(prev_hash=sa.bindparam("prev_hash"), entry_hash=sa.bindparam("entry_hash")),
            links,
        )
        after_id = rows[-1].id


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    _drop_row_triggers(dialect)
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_pending")
        batch_op.drop_index(batch_op.f("ix_audit_log_chain_position"))
        batch_op.drop_column("chain_position")
    _rechain_in_id_order()
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.alter_column("entry_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
    _create_row_triggers(dialect, _PG_STRICT_FUNCTION)
