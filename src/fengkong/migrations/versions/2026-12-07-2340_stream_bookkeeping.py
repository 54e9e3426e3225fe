"""Cheaper stream bookkeeping on PostgreSQL: positions updated in place, batches unindexed.

Every customer application moves its ``customer_stream_positions`` row and inserts one
``stream_batches`` row. Pages kept half empty let the moved row stay on its page (a HOT update:
no new primary-key entry); pages already full get that room as rows move off them or when the
table is rewritten (``VACUUM FULL customer_stream_positions``, optional). The batches' index by
customer served no query of the application (checks and benchmarks scan the table) and cost
each application a random index insertion.

Revision ID: 0023_stream_bookkeeping
Revises: 0022_rating_inputs
Create Date: 2026-12-07 23:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0023_stream_bookkeeping"
down_revision: str | None = "0022_rating_inputs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_POSITIONS_FILLFACTOR = 50


def upgrade() -> None:
    with op.batch_alter_table("stream_batches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stream_batches_customer_id_last_event_id"))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"ALTER TABLE customer_stream_positions SET (fillfactor = {_POSITIONS_FILLFACTOR})"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE customer_stream_positions RESET (fillfactor)")
    with op.batch_alter_table("stream_batches", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_stream_batches_customer_id_last_event_id"),
            ["customer_id", "last_event_id"],
            unique=False,
        )
