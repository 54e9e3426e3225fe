"""Event stream: per-customer stream positions, applied batches, and (PostgreSQL) procrastinate's
job queue schema.

Ingested events go into the existing outbox table ``events`` (its unique ``event_id`` makes
ingestion idempotent), so this adds no event table. On PostgreSQL the schema of the pinned
procrastinate version is applied here, in the same transaction; a later procrastinate upgrade
adds a migration running that version's SQL migrations. Alembic's compare ignores the
``procrastinate_*`` objects (``migrations/env.py``).

Revision ID: 0010_event_stream
Revises: 0009_monitoring
Create Date: 2026-11-26 17:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import fengkong.db

revision: str = "0010_event_stream"
down_revision: str | None = "0009_monitoring"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DROP_PROCRASTINATE = """
DO $$
DECLARE
    item record;
BEGIN
    DROP TABLE IF EXISTS procrastinate_events, procrastinate_periodic_defers,
        procrastinate_jobs, procrastinate_workers CASCADE;
    FOR item IN
        SELECT p.oid::regprocedure AS signature FROM pg_proc p
        JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate%'
    LOOP
        EXECUTE 'DROP FUNCTION IF EXISTS ' || item.signature || ' CASCADE';
    END LOOP;
    FOR item IN
        SELECT t.typname FROM pg_type t
        JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE n.nspname = current_schema() AND t.typname LIKE 'procrastinate%'
          AND t.typtype IN ('e', 'c')
    LOOP
        EXECUTE 'DROP TYPE IF EXISTS ' || quote_ident(item.typname) || ' CASCADE';
    END LOOP;
END $$;
"""


def _execute_script(sql: str) -> None:
    """Run SQL as written (its ``%`` signs are not parameter markers)."""
    op.get_bind().execution_options(no_parameters=True).exec_driver_sql(sql)


def upgrade() -> None:
    op.create_table(
        "customer_stream_positions",
        sa.Column("customer_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_event_id", sa.BigInteger(), nullable=False),
        sa.Column("events_applied", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", fengkong.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_customer_stream_positions")),
    )
    op.create_table(
        "stream_batches",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("first_event_id", sa.BigInteger(), nullable=False),
        sa.Column("last_event_id", sa.BigInteger(), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("first_recorded_at", fengkong.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("applied_at", fengkong.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("worker", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stream_batches")),
    )
    with op.batch_alter_table("stream_batches", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_stream_batches_customer_id_last_event_id"),
            ["customer_id", "last_event_id"],
            unique=False,
        )
    if op.get_bind().dialect.name == "postgresql":
        from procrastinate.schema import SchemaManager

        _execute_script(str(SchemaManager.get_schema()))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _execute_script(_DROP_PROCRASTINATE)
    with op.batch_alter_table("stream_batches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stream_batches_customer_id_last_event_id"))
    op.drop_table("stream_batches")
    op.drop_table("customer_stream_positions")
