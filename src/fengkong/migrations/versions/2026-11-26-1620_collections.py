"""Collections: dunning notices and the invoices they cover, each invoice's dunning level, and
promises to pay.

The dunning levels themselves are packaged YAML (``fengkong.collections.config``), not rows:
each notice records the name, version and SHA-256 of the configuration that issued it.

Revision ID: 0006_collections
Revises: 0005_limits
Create Date: 2026-11-26 16:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import fengkong.db

revision: str = "0006_collections"
down_revision: str | None = "0005_limits"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dunning_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("level_name", sa.String(length=64), nullable=False),
        sa.Column("legal_handover", sa.Boolean(), nullable=False),
        sa.Column("run_on", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("total_overdue_minor", sa.BigInteger(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "issued",
                "cancelled",
                name="noticestatus",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("config_name", sa.String(length=100), nullable=False),
        sa.Column("config_version", sa.Integer(), nullable=False),
        sa.Column("config_sha256", sa.String(length=64), nullable=False),
        sa.Column("issued_by", sa.String(length=64), nullable=False),
        sa.Column("cancelled_at", fengkong.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cancelled_by", sa.String(length=64), nullable=True),
        sa.Column("cancel_reason", sa.String(length=500), nullable=True),
        sa.Column("created_at", fengkong.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", fengkong.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("level >= 1", name=op.f("ck_dunning_notices_level_positive")),
        sa.CheckConstraint(
            "total_overdue_minor > 0", name=op.f("ck_dunning_notices_total_positive")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_dunning_notices_customer_id_customers"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dunning_notices")),
        sa.UniqueConstraint(
            "customer_id",
            "level",
            "run_on",
            "currency",
            name=op.f("uq_dunning_notices_customer_id_level_run_on_currency"),
        ),
    )
    op.create_index(
        op.f("ix_dunning_notices_customer_id"), "dunning_notices", ["customer_id"], unique=False
    )
    op.create_index(op.f("ix_dunning_notices_run_on"), "dunning_notices", ["run_on"], unique=False)
    op.create_table(
        "dunning_notice_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("invoice_number", sa.String(length=64), nullable=False),
        sa.Column("issue_date", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("days_past_due", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("outstanding_minor", sa.BigInteger(), nullable=False),
        sa.Column("previous_level", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "outstanding_minor > 0", name=op.f("ck_dunning_notice_items_outstanding_positive")
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoices.id"],
            name=op.f("fk_dunning_notice_items_invoice_id_invoices"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["notice_id"],
            ["dunning_notices.id"],
            name=op.f("fk_dunning_notice_items_notice_id_dunning_notices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dunning_notice_items")),
        sa.UniqueConstraint(
            "notice_id", "invoice_id", name=op.f("uq_dunning_notice_items_notice_id_invoice_id")
        ),
    )
    op.create_index(
        op.f("ix_dunning_notice_items_invoice_id"),
        "dunning_notice_items",
        ["invoice_id"],
        unique=False,
    )
    op.create_table(
        "invoice_dunning",
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("last_notice_id", sa.Integer(), nullable=True),
        sa.Column("dunned_on", sa.Date(), nullable=True),
        sa.Column("updated_at", fengkong.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("level >= 0", name=op.f("ck_invoice_dunning_level_not_negative")),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_invoice_dunning_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoices.id"],
            name=op.f("fk_invoice_dunning_invoice_id_invoices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["last_notice_id"],
            ["dunning_notices.id"],
            name=op.f("fk_invoice_dunning_last_notice_id_dunning_notices"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("invoice_id", name=op.f("pk_invoice_dunning")),
    )
    op.create_index(
        op.f("ix_invoice_dunning_customer_id_level"),
        "invoice_dunning",
        ["customer_id", "level"],
        unique=False,
    )
    op.create_table(
        "promises_to_pay",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("promised_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "kept",
                "broken",
                "cancelled",
                name="promisestatus",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("note", sa.String(length=1000), nullable=True),
        sa.Column("paid_minor", sa.BigInteger(), nullable=True),
        sa.Column("resolved_on", sa.Date(), nullable=True),
        sa.Column("resolved_by", sa.String(length=64), nullable=True),
        sa.Column("created_at", fengkong.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", fengkong.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_promises_to_pay_amount_positive")),
        sa.CheckConstraint(
            "due_on >= promised_on", name=op.f("ck_promises_to_pay_due_not_before_promised")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_promises_to_pay_customer_id_customers"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoices.id"],
            name=op.f("fk_promises_to_pay_invoice_id_invoices"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promises_to_pay")),
    )
    op.create_index(
        op.f("ix_promises_to_pay_customer_id_status"),
        "promises_to_pay",
        ["customer_id", "status"],
        unique=False,
    )
    op.create_index(
        op.f("ix_promises_to_pay_invoice_id"), "promises_to_pay", ["invoice_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_promises_to_pay_invoice_id"), table_name="promises_to_pay")
    op.drop_index(op.f("ix_promises_to_pay_customer_id_status"), table_name="promises_to_pay")
    op.drop_table("promises_to_pay")
    op.drop_index(op.f("ix_invoice_dunning_customer_id_level"), table_name="invoice_dunning")
    op.drop_table("invoice_dunning")
    op.drop_index(op.f("ix_dunning_notice_items_invoice_id"), table_name="dunning_notice_items")
    op.drop_table("dunning_notice_items")
    op.drop_index(op.f("ix_dunning_notices_run_on"), table_name="dunning_notices")
    op.drop_index(op.f("ix_dunning_notices_customer_id"), table_name="dunning_notices")
    op.drop_table("dunning_notices")
