"""Exposure: mitigants, invoice disputes, exchange rates to the credit currency.

The loss-given-default and mitigant configuration is packaged YAML (``exposure/defaults/lgd.yaml``)
whose SHA-256 every exposure result names; it is not stored here. ``fx_rates`` starts empty and is
filled through the API.

Revision ID: 0004_exposure
Revises: 0003_risk_scores
Create Date: 2026-11-26 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import fengkong.db

revision: str = "0004_exposure"
down_revision: str | None = "0003_risk_scores"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "fx_rates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("rate", sa.Numeric(precision=18, scale=8), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", fengkong.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", fengkong.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("rate > 0", name=op.f("ck_fx_rates_rate_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fx_rates")),
        sa.UniqueConstraint("currency", "as_of", name=op.f("uq_fx_rates_currency_as_of")),
    )
    op.create_table(
        "mitigants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "guarantee",
                "collateral",
                "credit_insurance",
                "prepayment",
                "letter_of_credit",
                name="mitigantkind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("provider", sa.String(length=200), nullable=True),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("haircut", sa.Float(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "active",
                "released",
                "expired",
                name="mitigantstatus",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column(
            "source",
            sa.Enum(
                "ui",
                "api",
                "import",
                "connector",
                "demo",
                "cli",
                name="datasource",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("source_ref", sa.String(length=100), nullable=False),
        sa.Column("sourced_at", fengkong.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("archived_at", fengkong.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", fengkong.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", fengkong.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_mitigants_amount_positive")),
        sa.CheckConstraint(
            "haircut >= 0 AND haircut <= 1", name=op.f("ck_mitigants_haircut_is_share")
        ),
        sa.CheckConstraint(
            "valid_until IS NULL OR valid_until >= valid_from",
            name=op.f("ck_mitigants_valid_until_after_from"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_mitigants_customer_id_customers"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mitigants")),
    )
    with op.batch_alter_table("mitigants", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mitigants_customer_id"), ["customer_id"], unique=False)

    op.create_table(
        "invoice_disputes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "resolved",
                name="disputestatus",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("opened_by", sa.String(length=64), nullable=False),
        sa.Column("resolved_on", sa.Date(), nullable=True),
        sa.Column("resolved_by", sa.String(length=64), nullable=True),
        sa.Column(
            "resolution",
            sa.Enum(
                "upheld",
                "rejected",
                "withdrawn",
                name="disputeresolution",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=True,
        ),
        sa.Column("resolution_note", sa.String(length=1000), nullable=True),
        sa.Column("created_at", fengkong.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", fengkong.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_invoice_disputes_amount_positive")),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_invoice_disputes_customer_id_customers"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoices.id"],
            name=op.f("fk_invoice_disputes_invoice_id_invoices"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_disputes")),
    )
    with op.batch_alter_table("invoice_disputes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_invoice_disputes_customer_id_status"),
            ["customer_id", "status"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_invoice_disputes_invoice_id"), ["invoice_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("invoice_disputes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoice_disputes_invoice_id"))
        batch_op.drop_index(batch_op.f("ix_invoice_disputes_customer_id_status"))

    op.drop_table("invoice_disputes")
    with op.batch_alter_table("mitigants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mitigants_customer_id"))

    op.drop_table("mitigants")
    op.drop_table("fx_rates")
