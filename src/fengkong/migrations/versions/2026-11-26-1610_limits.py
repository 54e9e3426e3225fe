"""Credit limits: limit policies, limits, limit requests and approvals, credit blocks.

The shipped limit policy is stored as version 1 the first time a limit is requested or
recommended with a write (``fengkong.limits.configs.ensure_active``), not here. Two partial
unique indexes keep one active permanent limit per customer and one active block per customer
and rule.

Revision ID: 0005_limits
Revises: 0004_exposure
Create Date: 2026-11-26 16:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import fengkong.db

revision: str = "0005_limits"
down_revision: str | None = "0004_exposure"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "limit_policy_versions",
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_limit_policy_versions")),
        sa.UniqueConstraint("version", name=op.f("uq_limit_policy_versions_version")),
    )
    op.create_table(
        "credit_blocks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "credit_block",
                "stop_shipping",
                name="blockkind",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column(
            "source",
            sa.Enum(
                "manual",
                "rule",
                name="blocksource",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("rule_name", sa.String(length=64), nullable=True),
        sa.Column("findings", sa.JSON(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "active",
                "released",
                name="blockstatus",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("set_by", sa.String(length=64), nullable=False),
        sa.Column("set_at", fengkong.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("confirmed_by", sa.String(length=64), nullable=True),
        sa.Column("confirmed_at", fengkong.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("released_by", sa.String(length=64), nullable=True),
        sa.Column("released_at", fengkong.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("release_reason", sa.String(length=500), nullable=True),
        sa.Column("suppressed_until", sa.Date(), nullable=True),
        sa.Column("created_at", fengkong.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", fengkong.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "(source = 'rule') = (rule_name IS NOT NULL)",
            name=op.f("ck_credit_blocks_rule_blocks_name_their_rule"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_credit_blocks_customer_id_customers"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_blocks")),
    )
    with op.batch_alter_table("credit_blocks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_credit_blocks_customer_id_status"),
            ["customer_id", "status"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_credit_blocks_status_id"), ["status", "id"], unique=False
        )
        batch_op.create_index(
            "uq_credit_blocks_one_active_per_rule",
            ["customer_id", "rule_name"],
            unique=True,
            postgresql_where=sa.text("source = 'rule' AND status = 'active'"),
            sqlite_where=sa.text("source = 'rule' AND status = 'active'"),
        )

    op.create_table(
        "limit_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "new",
                "increase",
                "decrease",
                "temporary",
                name="requestkind",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("justification", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "submitted",
                "approved",
                "rejected",
                "withdrawn",
                "expired",
                name="requeststatus",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("requested_by", sa.String(length=64), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("submitted_at", fengkong.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("decided_at", fengkong.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("grade", sa.String(length=8), nullable=True),
        sa.Column("tier", sa.String(length=64), nullable=False),
        sa.Column("tier_amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("approver_roles", sa.JSON(), nullable=False),
        sa.Column("required_approvals", sa.Integer(), nullable=False),
        sa.Column("current_minor", sa.BigInteger(), nullable=False),
        sa.Column("recommended_minor", sa.BigInteger(), nullable=False),
        sa.Column("policy_version_id", sa.Integer(), nullable=False),
        sa.Column("created_at", fengkong.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", fengkong.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "kind <> 'temporary' OR valid_until IS NOT NULL",
            name=op.f("ck_limit_requests_temporary_has_end_date"),
        ),
        sa.CheckConstraint("amount_minor >= 0", name=op.f("ck_limit_requests_amount_not_negative")),
        sa.CheckConstraint(
            "required_approvals IN (1, 2)", name=op.f("ck_limit_requests_one_or_two_approvals")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_limit_requests_customer_id_customers"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["policy_version_id"],
            ["limit_policy_versions.id"],
            name=op.f("fk_limit_requests_policy_version_id_limit_policy_versions"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["users.id"],
            name=op.f("fk_limit_requests_requested_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_limit_requests")),
    )
    with op.batch_alter_table("limit_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_limit_requests_customer_id_id"), ["customer_id", "id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_limit_requests_status_id"), ["status", "id"], unique=False
        )

    op.create_table(
        "credit_limits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "permanent",
                "temporary",
                name="limitkind",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "active",
                "expired",
                "superseded",
                "revoked",
                name="limitstatus",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("policy_version_id", sa.Integer(), nullable=True),
        sa.Column("granted_by", sa.String(length=64), nullable=False),
        sa.Column("ended_at", fengkong.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_by", sa.String(length=64), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("created_at", fengkong.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", fengkong.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "kind <> 'temporary' OR valid_until IS NOT NULL",
            name=op.f("ck_credit_limits_temporary_has_end_date"),
        ),
        sa.CheckConstraint("amount_minor >= 0", name=op.f("ck_credit_limits_amount_not_negative")),
        sa.CheckConstraint(
            "valid_until IS NULL OR valid_until >= valid_from",
            name=op.f("ck_credit_limits_valid_until_after_from"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_credit_limits_customer_id_customers"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["policy_version_id"],
            ["limit_policy_versions.id"],
            name=op.f("fk_credit_limits_policy_version_id_limit_policy_versions"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["limit_requests.id"],
            name=op.f("fk_credit_limits_request_id_limit_requests"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_limits")),
    )
    with op.batch_alter_table("credit_limits", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_credit_limits_customer_id_status"),
            ["customer_id", "status"],
            unique=False,
        )
        batch_op.create_index(
            "uq_credit_limits_one_permanent_active",
            ["customer_id"],
            unique=True,
            postgresql_where=sa.text("kind = 'permanent' AND status = 'active'"),
            sqlite_where=sa.text("kind = 'permanent' AND status = 'active'"),
        )

    op.create_table(
        "limit_request_comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", fengkong.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_limit_request_comments_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["limit_requests.id"],
            name=op.f("fk_limit_request_comments_request_id_limit_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_limit_request_comments")),
    )
    with op.batch_alter_table("limit_request_comments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_limit_request_comments_request_id"), ["request_id"], unique=False
        )

    op.create_table(
        "limit_request_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column(
            "decision",
            sa.Enum(
                "approve",
                "reject",
                name="decision",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("decided_by", sa.String(length=64), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("decided_at", fengkong.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_limit_request_decisions_customer_id_customers"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_limit_request_decisions_decided_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["limit_requests.id"],
            name=op.f("fk_limit_request_decisions_request_id_limit_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_limit_request_decisions")),
        sa.UniqueConstraint(
            "request_id",
            "decided_by",
            name=op.f("uq_limit_request_decisions_request_id_decided_by"),
        ),
    )
    with op.batch_alter_table("limit_request_decisions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_limit_request_decisions_request_id"), ["request_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("limit_request_decisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_limit_request_decisions_request_id"))

    op.drop_table("limit_request_decisions")
    with op.batch_alter_table("limit_request_comments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_limit_request_comments_request_id"))

    op.drop_table("limit_request_comments")
    with op.batch_alter_table("credit_limits", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_credit_limits_one_permanent_active",
            postgresql_where=sa.text("kind = 'permanent' AND status = 'active'"),
            sqlite_where=sa.text("kind = 'permanent' AND status = 'active'"),
        )
        batch_op.drop_index(batch_op.f("ix_credit_limits_customer_id_status"))

    op.drop_table("credit_limits")
    with op.batch_alter_table("limit_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_limit_requests_status_id"))
        batch_op.drop_index(batch_op.f("ix_limit_requests_customer_id_id"))

    op.drop_table("limit_requests")
    with op.batch_alter_table("credit_blocks", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_credit_blocks_one_active_per_rule",
            postgresql_where=sa.text("source = 'rule' AND status = 'active'"),
            sqlite_where=sa.text("source = 'rule' AND status = 'active'"),
        )
        batch_op.drop_index(batch_op.f("ix_credit_blocks_status_id"))
        batch_op.drop_index(batch_op.f("ix_credit_blocks_customer_id_status"))

    op.drop_table("credit_blocks")
    op.drop_table("limit_policy_versions")
