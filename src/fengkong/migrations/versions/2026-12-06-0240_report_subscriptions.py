"""Report subscriptions: who receives which report how often, and the files their e-mails carry.

Revision ID: 0020_report_subscriptions
Revises: 0019_audit_chain
Create Date: 2026-12-06 02:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import fengkong.db

revision: str = "0020_report_subscriptions"
down_revision: str | None = "0019_audit_chain"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _enum(name: str, *values: str, length: int) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=length)


def upgrade() -> None:
    op.create_table(
        "delivery_attachments",
        sa.Column("id", BIG_KEY, autoincrement=True, nullable=False),
        sa.Column("delivery_id", BIG_KEY, nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["deliveries.id"],
            name=op.f("fk_delivery_attachments_delivery_id_deliveries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_attachments")),
    )
    with op.batch_alter_table("delivery_attachments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_delivery_attachments_delivery_id"), ["delivery_id"], unique=False
        )
    op.create_table(
        "report_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", _enum("reportkind", "portfolio", "customer", length=16), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("format", _enum("reportformat", "pdf", "xlsx", "html", length=8), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column(
            "frequency", _enum("frequency", "daily", "weekly", "monthly", length=16), nullable=False
        ),
        sa.Column("run_day", sa.SmallInteger(), nullable=True),
        sa.Column("next_run_on", sa.Date(), nullable=False),
        sa.Column("last_sent_at", fengkong.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("suspended_reason", sa.String(length=300), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", fengkong.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", fengkong.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_report_subscriptions_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_report_subscriptions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_subscriptions")),
    )
    with op.batch_alter_table("report_subscriptions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_report_subscriptions_active_next_run_on"),
            ["active", "next_run_on"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_report_subscriptions_user_id"), ["user_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("report_subscriptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_subscriptions_user_id"))
        batch_op.drop_index(batch_op.f("ix_report_subscriptions_active_next_run_on"))
    op.drop_table("report_subscriptions")
    with op.batch_alter_table("delivery_attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_attachments_delivery_id"))
    op.drop_table("delivery_attachments")
