"""The dashboard's reads: each customer's exposure as last computed (``exposure_snapshots``), so
the portfolio figures sum one table instead of every ledger, and the figures themselves as last
computed (``portfolio_figures``), so the page reads one row.

Revision ID: 0015_portfolio_snapshots
Revises: 0014_customer_interactions
Create Date: 2026-12-06 01:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import fengkong.db

revision: str = "0015_portfolio_snapshots"
down_revision: str | None = "0014_customer_interactions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_AMOUNTS = (
    "not_due_minor",
    "dpd_1_30_minor",
    "dpd_31_60_minor",
    "dpd_61_90_minor",
    "dpd_90_plus_minor",
    "open_receivables_minor",
    "overdue_minor",
    "open_orders_minor",
    "contract_commitments_minor",
    "unapplied_payments_minor",
    "gross_exposure_minor",
    "mitigation_minor",
    "net_exposure_minor",
    "ead_minor",
)


def upgrade() -> None:
    op.create_table(
        "exposure_snapshots",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        *(sa.Column(name, sa.BigInteger(), nullable=False) for name in _AMOUNTS),
        sa.Column("loss_at_default", sa.Numeric(precision=20, scale=6), nullable=False),
        sa.Column("computed_at", fengkong.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_exposure_snapshots_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_exposure_snapshots")),
    )
    op.create_index(
        op.f("ix_exposure_snapshots_net_exposure_minor"),
        "exposure_snapshots",
        ["net_exposure_minor"],
        unique=False,
    )
    op.create_table(
        "portfolio_figures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("computed_at", fengkong.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("last_event_id", sa.BigInteger(), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portfolio_figures")),
    )


def downgrade() -> None:
    op.drop_table("portfolio_figures")
    op.drop_index(op.f("ix_exposure_snapshots_net_exposure_minor"), table_name="exposure_snapshots")
    op.drop_table("exposure_snapshots")
