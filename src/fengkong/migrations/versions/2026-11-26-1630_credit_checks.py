"""Order credit checks: check rule sets, credit accounts (the per-customer lock row), checks with
their step results, and holds with their documented credit decisions.

The shipped rule set is stored as version 1 the first time a check runs
(``fengkong.credit_checks.configs.ensure_active``), not here.

Revision ID: 0007_credit_checks
Revises: 0006_collections
Create Date: 2026-11-26 16:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import fengkong.db

revision: str = "0007_credit_checks"
down_revision: str | None = "0006_collections"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "check_rule_set_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("yaml_text", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "active",
                "retired",
                name="configstatus",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", fengkong.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("activated_at", fengkong.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_check_rule_set_versions")),
        sa.UniqueConstraint("version", name=op.f("uq_check_rule_set_versions_version")),
    )
    op.create_table(
        "credit_accounts",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("checks", sa.Integer(), nullable=False),
        sa.Column("last_checked_at", fengkong.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_credit_accounts_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_credit_accounts")),
    )
    op.create_table(
        "credit_checks",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("order_number", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column(
            "stage",
            sa.Enum(
                "quotation",
                "order",
                "delivery",
                "invoice",
                name="stage",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("requested_delivery_on", sa.Date(), nullable=True),
        sa.Column("request_sha256", sa.String(length=64), nullable=False),
        sa.Column(
            "decision",
            sa.Enum(
                "approve",
                "hold",
                "reject",
                name="decision",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("risk_class", sa.String(length=16), nullable=False),
        sa.Column("exposure_before_minor", sa.BigInteger(), nullable=False),
        sa.Column("exposure_after_minor", sa.BigInteger(), nullable=False),
        sa.Column("limit_minor", sa.BigInteger(), nullable=True),
        sa.Column("available_credit_minor", sa.BigInteger(), nullable=True),
        sa.Column("rule_set_version_id", sa.Integer(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("checked_on", sa.Date(), nullable=False),
        sa.Column("checked_at", fengkong.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("checked_by", sa.String(length=64), nullable=False),
        sa.Column("checked_by_user_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_credit_checks_amount_positive")),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_credit_checks_customer_id_customers"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_credit_checks_order_id_orders"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["rule_set_version_id"],
            ["check_rule_set_versions.id"],
            name=op.f("fk_credit_checks_rule_set_version_id_check_rule_set_versions"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_checks")),
    )
    with op.batch_alter_table("credit_checks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_credit_checks_customer_id_id"), ["customer_id", "id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_credit_checks_order_number_id"), ["order_number", "id"], unique=False
        )

    op.create_table(
        "credit_holds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "credit_check_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("order_number", sa.String(length=64), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "released",
                "rejected",
                "superseded",
                name="holdstatus",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("requested_by", sa.String(length=64), nullable=False),
        sa.Column("requested_by_user_id", sa.Integer(), nullable=True),
        sa.Column("opened_at", fengkong.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "release_kind",
            sa.Enum(
                "full",
                "partial",
                "prepayment",
                name="releasekind",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=True,
        ),
        sa.Column("approved_minor", sa.BigInteger(), nullable=True),
        sa.Column("prepayment_minor", sa.BigInteger(), nullable=True),
        sa.Column(
            "reason_code",
            sa.Enum(
                "payment_received",
                "promise_to_pay",
                "collateral_provided",
                "strategic_customer",
                "temporary_limit",
                "dispute_clarified",
                "prepayment_agreed",
                "exposure_too_high",
                "overdue_not_settled",
                "customer_blocked",
                "other",
                name="decisionreason",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("comment", sa.String(length=2000), nullable=True),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_by_user_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", fengkong.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "approved_minor IS NULL OR approved_minor >= 0",
            name=op.f("ck_credit_holds_approved_not_negative"),
        ),
        sa.CheckConstraint(
            "prepayment_minor IS NULL OR prepayment_minor >= 0",
            name=op.f("ck_credit_holds_prepayment_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["credit_check_id"],
            ["credit_checks.id"],
            name=op.f("fk_credit_holds_credit_check_id_credit_checks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_credit_holds_customer_id_customers"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_holds")),
        sa.UniqueConstraint("credit_check_id", name=op.f("uq_credit_holds_credit_check_id")),
    )
    with op.batch_alter_table("credit_holds", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_credit_holds_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_credit_holds_status_id"), ["status", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("credit_holds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credit_holds_status_id"))
        batch_op.drop_index(batch_op.f("ix_credit_holds_customer_id"))

    op.drop_table("credit_holds")
    with op.batch_alter_table("credit_checks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credit_checks_order_number_id"))
        batch_op.drop_index(batch_op.f("ix_credit_checks_customer_id_id"))

    op.drop_table("credit_checks")
    op.drop_table("credit_accounts")
    op.drop_table("check_rule_set_versions")
