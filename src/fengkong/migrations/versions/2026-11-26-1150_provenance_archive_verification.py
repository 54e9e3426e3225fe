"""Provenance, archiving, USCC verification; import runs, idempotency keys, connector pulls.

Also drops single-column indexes on high-volume tables that no query uses: each one slows
every bulk insert (measured on a 1M-invoice import).

Revision ID: 0002_intake
Revises: 0001_core
Create Date: 2026-11-26 11:50:19.324411
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import fengkong.db

revision: str = "0002_intake"
down_revision: str | None = "0001_core"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("request_sha256", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response_body", sa.JSON(), nullable=False),
        sa.Column("response_headers", sa.JSON(), nullable=False),
        sa.Column("created_at", fengkong.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_keys")),
        sa.UniqueConstraint("actor_id", "key", name=op.f("uq_idempotency_keys_actor_id_key")),
    )
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_idempotency_keys_created_at"), ["created_at"], unique=False
        )

    op.create_table(
        "import_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("partial", sa.Boolean(), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("file_bytes", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "succeeded",
                "partial",
                "rejected",
                name="importstatus",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_username", sa.String(length=64), nullable=False),
        sa.Column("started_at", fengkong.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", fengkong.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("rows_total", sa.Integer(), nullable=False),
        sa.Column("rows_inserted", sa.Integer(), nullable=False),
        sa.Column("rows_updated", sa.Integer(), nullable=False),
        sa.Column("rows_unchanged", sa.Integer(), nullable=False),
        sa.Column("rows_rejected", sa.Integer(), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.Column("error_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_runs")),
    )
    with op.batch_alter_table("import_runs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_import_runs_kind_file_sha256"), ["kind", "file_sha256"], unique=False
        )

    op.create_table(
        "credit_data_pulls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "agency_report",
                "registry",
                "court",
                name="datakind",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("provider", sa.String(length=64), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum(
                "found",
                "not_found",
                "failed",
                "fresh_enough",
                name="pulloutcome",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("requested_at", fengkong.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("requested_by", sa.String(length=64), nullable=False),
        sa.Column("cost_minor", sa.Integer(), nullable=True),
        sa.Column("cost_currency", sa.String(length=3), nullable=True),
        sa.Column("detail", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_credit_data_pulls_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_data_pulls")),
    )
    with op.batch_alter_table("credit_data_pulls", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_credit_data_pulls_customer_id_kind_requested_at"),
            ["customer_id", "kind", "requested_at"],
            unique=False,
        )

    with op.batch_alter_table("contracts", schema=None) as batch_op:
        batch_op.add_column(
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
                server_default="api",
            )
        )
        batch_op.add_column(
            sa.Column("source_ref", sa.String(length=100), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column(
                "sourced_at",
                fengkong.db.UTCDateTime(timezone=True),
                nullable=False,
                server_default=sa.func.current_timestamp(),
            )
        )
        batch_op.add_column(
            sa.Column("archived_at", fengkong.db.UTCDateTime(timezone=True), nullable=True)
        )

    with op.batch_alter_table("credit_reports", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("verified", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
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
                server_default="api",
            )
        )
        batch_op.add_column(
            sa.Column("source_ref", sa.String(length=100), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column(
                "sourced_at",
                fengkong.db.UTCDateTime(timezone=True),
                nullable=False,
                server_default=sa.func.current_timestamp(),
            )
        )
        batch_op.add_column(
            sa.Column("archived_at", fengkong.db.UTCDateTime(timezone=True), nullable=True)
        )

    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "uscc_verification",
                sa.Enum(
                    "unverified",
                    "verified",
                    "mismatch",
                    name="usccverification",
                    native_enum=False,
                    create_constraint=True,
                    length=16,
                ),
                nullable=False,
                server_default="unverified",
            )
        )
        batch_op.add_column(
            sa.Column("uscc_verified_at", fengkong.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("uscc_verification_note", sa.String(length=300), nullable=True)
        )
        batch_op.add_column(
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
                server_default="api",
            )
        )
        batch_op.add_column(
            sa.Column("source_ref", sa.String(length=100), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column(
                "sourced_at",
                fengkong.db.UTCDateTime(timezone=True),
                nullable=False,
                server_default=sa.func.current_timestamp(),
            )
        )
        batch_op.add_column(
            sa.Column("archived_at", fengkong.db.UTCDateTime(timezone=True), nullable=True)
        )

    # Archiving became a timestamp on every table; the customers' 'archived' status goes.
    op.execute(
        "UPDATE customers SET archived_at = CURRENT_TIMESTAMP, status = 'active' "
        "WHERE status = 'archived'"
    )
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_customers_customerstatus"), type_="check")
        batch_op.create_check_constraint(
            batch_op.f("ck_customers_customerstatus"),
            sa.column("status").in_(["prospect", "active", "dormant"]),
        )

    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_event_type"))

    with op.batch_alter_table("financial_statements", schema=None) as batch_op:
        batch_op.add_column(
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
                server_default="api",
            )
        )
        batch_op.add_column(
            sa.Column("source_ref", sa.String(length=100), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column(
                "sourced_at",
                fengkong.db.UTCDateTime(timezone=True),
                nullable=False,
                server_default=sa.func.current_timestamp(),
            )
        )
        batch_op.add_column(
            sa.Column("archived_at", fengkong.db.UTCDateTime(timezone=True), nullable=True)
        )

    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.add_column(
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
                server_default="api",
            )
        )
        batch_op.add_column(
            sa.Column("source_ref", sa.String(length=100), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column(
                "sourced_at",
                fengkong.db.UTCDateTime(timezone=True),
                nullable=False,
                server_default=sa.func.current_timestamp(),
            )
        )
        batch_op.add_column(
            sa.Column("archived_at", fengkong.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.drop_index(batch_op.f("ix_invoices_due_date"))
        batch_op.drop_index(batch_op.f("ix_invoices_issue_date"))
        batch_op.drop_index(batch_op.f("ix_invoices_status"))

    op.execute("UPDATE legal_events SET case_number = '' WHERE case_number IS NULL")
    with op.batch_alter_table("legal_events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("verified", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
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
                server_default="api",
            )
        )
        batch_op.add_column(
            sa.Column("source_ref", sa.String(length=100), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column(
                "sourced_at",
                fengkong.db.UTCDateTime(timezone=True),
                nullable=False,
                server_default=sa.func.current_timestamp(),
            )
        )
        batch_op.add_column(
            sa.Column("archived_at", fengkong.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.alter_column("case_number", existing_type=sa.VARCHAR(length=100), nullable=False)
        batch_op.drop_index(batch_op.f("ix_legal_events_occurred_on"))
        batch_op.create_unique_constraint(
            batch_op.f("uq_legal_events_customer_id_event_type_occurred_on_case_number"),
            ["customer_id", "event_type", "occurred_on", "case_number"],
        )

    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(
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
                server_default="api",
            )
        )
        batch_op.add_column(
            sa.Column("source_ref", sa.String(length=100), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column(
                "sourced_at",
                fengkong.db.UTCDateTime(timezone=True),
                nullable=False,
                server_default=sa.func.current_timestamp(),
            )
        )
        batch_op.add_column(
            sa.Column("archived_at", fengkong.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.drop_index(batch_op.f("ix_orders_ordered_on"))
        batch_op.drop_index(batch_op.f("ix_orders_status"))

    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.add_column(
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
                server_default="api",
            )
        )
        batch_op.add_column(
            sa.Column("source_ref", sa.String(length=100), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column(
                "sourced_at",
                fengkong.db.UTCDateTime(timezone=True),
                nullable=False,
                server_default=sa.func.current_timestamp(),
            )
        )
        batch_op.add_column(
            sa.Column("archived_at", fengkong.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.drop_index(batch_op.f("ix_payments_paid_on"))

    with op.batch_alter_table("related_parties", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("verified", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
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
                server_default="api",
            )
        )
        batch_op.add_column(
            sa.Column("source_ref", sa.String(length=100), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column(
                "sourced_at",
                fengkong.db.UTCDateTime(timezone=True),
                nullable=False,
                server_default=sa.func.current_timestamp(),
            )
        )
        batch_op.add_column(
            sa.Column("archived_at", fengkong.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("related_parties", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_related_parties_datasource"), type_="check")
        batch_op.drop_column("archived_at")
        batch_op.drop_column("sourced_at")
        batch_op.drop_column("source_ref")
        batch_op.drop_column("source")
        batch_op.drop_column("verified")

    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_payments_datasource"), type_="check")
        batch_op.create_index(batch_op.f("ix_payments_paid_on"), ["paid_on"], unique=False)
        batch_op.drop_column("archived_at")
        batch_op.drop_column("sourced_at")
        batch_op.drop_column("source_ref")
        batch_op.drop_column("source")

    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_orders_datasource"), type_="check")
        batch_op.create_index(batch_op.f("ix_orders_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_orders_ordered_on"), ["ordered_on"], unique=False)
        batch_op.drop_column("archived_at")
        batch_op.drop_column("sourced_at")
        batch_op.drop_column("source_ref")
        batch_op.drop_column("source")

    with op.batch_alter_table("legal_events", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_legal_events_datasource"), type_="check")
        batch_op.drop_constraint(
            batch_op.f("uq_legal_events_customer_id_event_type_occurred_on_case_number"),
            type_="unique",
        )
        batch_op.create_index(
            batch_op.f("ix_legal_events_occurred_on"), ["occurred_on"], unique=False
        )
        batch_op.alter_column("case_number", existing_type=sa.VARCHAR(length=100), nullable=True)
        batch_op.drop_column("archived_at")
        batch_op.drop_column("sourced_at")
        batch_op.drop_column("source_ref")
        batch_op.drop_column("source")
        batch_op.drop_column("verified")

    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_invoices_datasource"), type_="check")
        batch_op.create_index(batch_op.f("ix_invoices_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_invoices_issue_date"), ["issue_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_invoices_due_date"), ["due_date"], unique=False)
        batch_op.drop_column("archived_at")
        batch_op.drop_column("sourced_at")
        batch_op.drop_column("source_ref")
        batch_op.drop_column("source")

    with op.batch_alter_table("financial_statements", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_financial_statements_datasource"), type_="check")
        batch_op.drop_column("archived_at")
        batch_op.drop_column("sourced_at")
        batch_op.drop_column("source_ref")
        batch_op.drop_column("source")

    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_events_event_type"), ["event_type"], unique=False)

    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_customers_customerstatus"), type_="check")
        batch_op.create_check_constraint(
            batch_op.f("ck_customers_customerstatus"),
            sa.column("status").in_(["prospect", "active", "dormant", "archived"]),
        )
    op.execute("UPDATE customers SET status = 'archived' WHERE archived_at IS NOT NULL")
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_customers_datasource"), type_="check")
        batch_op.drop_column("archived_at")
        batch_op.drop_column("sourced_at")
        batch_op.drop_column("source_ref")
        batch_op.drop_column("source")
        batch_op.drop_constraint(batch_op.f("ck_customers_usccverification"), type_="check")
        batch_op.drop_column("uscc_verification_note")
        batch_op.drop_column("uscc_verified_at")
        batch_op.drop_column("uscc_verification")

    with op.batch_alter_table("credit_reports", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_credit_reports_datasource"), type_="check")
        batch_op.drop_column("archived_at")
        batch_op.drop_column("sourced_at")
        batch_op.drop_column("source_ref")
        batch_op.drop_column("source")
        batch_op.drop_column("verified")

    with op.batch_alter_table("contracts", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_contracts_datasource"), type_="check")
        batch_op.drop_column("archived_at")
        batch_op.drop_column("sourced_at")
        batch_op.drop_column("source_ref")
        batch_op.drop_column("source")

    with op.batch_alter_table("credit_data_pulls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credit_data_pulls_customer_id_kind_requested_at"))

    op.drop_table("credit_data_pulls")
    with op.batch_alter_table("import_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_import_runs_kind_file_sha256"))

    op.drop_table("import_runs")
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idempotency_keys_created_at"))

    op.drop_table("idempotency_keys")
