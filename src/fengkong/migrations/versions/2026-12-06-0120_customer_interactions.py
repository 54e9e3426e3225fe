"""Customer interactions (calls, visits, notes) logged by users on the customer page.

``customer_interactions`` holds one row per call, visit, email or note: when it happened, what
was said, an optional follow-up day and who logged it. Rows are never updated; the customer
page reads a customer's newest first through the ``(customer_id, occurred_at)`` index.

Revision ID: 0014_customer_interactions
Revises: 0013_model_drift
Create Date: 2026-12-06 01:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import fengkong.db

revision: str = "0014_customer_interactions"
down_revision: str | None = "0013_model_drift"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "customer_interactions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "call",
                "visit",
                "email",
                "note",
                name="interactionkind",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("occurred_at", fengkong.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("follow_up_on", sa.Date(), nullable=True),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("created_at", fengkong.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_customer_interactions_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_interactions_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_interactions")),
    )
    op.create_index(
        op.f("ix_customer_interactions_customer_id_occurred_at"),
        "customer_interactions",
        ["customer_id", "occurred_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_customer_interactions_customer_id_occurred_at"),
        table_name="customer_interactions",
    )
    op.drop_table("customer_interactions")
