"""Risk scores: versioned scorecards and grade scales, score history, current ratings,
qualitative assessments, and the outbox consumers' positions.

The shipped scorecard and grade scale are stored as version 1 the first time anything is scored
(``fengkong.risk.configs.ensure_active``), not here: a migration should not depend on package
data that later releases change.

Revision ID: 0003_risk_scores
Revises: 0002_intake
Create Date: 2026-11-26 14:04:23.398048
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import fengkong.db

revision: str = "0003_risk_scores"
down_revision: str | None = "0002_intake"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "consumer_positions",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("last_event_id", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", fengkong.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_consumer_positions")),
    )
    op.create_table(
        "grade_scale_versions",
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grade_scale_versions")),
        sa.UniqueConstraint("name", "version", name=op.f("uq_grade_scale_versions_name_version")),
    )
    op.create_table(
        "scorecard_versions",
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scorecard_versions")),
        sa.UniqueConstraint("name", "version", name=op.f("uq_scorecard_versions_name_version")),
    )
    op.create_table(
        "qualitative_assessments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column(
            "question",
            sa.Enum(
                "market_reputation",
                "management_quality",
                "operational_risk",
                "compliance_concern",
                name="qualitativequestion",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("answer", sa.Integer(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("assessed_on", sa.Date(), nullable=False),
        sa.Column("assessed_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", fengkong.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "answer BETWEEN 1 AND 5", name=op.f("ck_qualitative_assessments_answer_one_to_five")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_qualitative_assessments_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qualitative_assessments")),
    )
    with op.batch_alter_table("qualitative_assessments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_qualitative_assessments_customer_id_question_assessed_on"),
            ["customer_id", "question", "assessed_on"],
            unique=False,
        )

    op.create_table(
        "risk_scores",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("grade", sa.String(length=8), nullable=False),
        sa.Column("risk_level", sa.String(length=16), nullable=False),
        sa.Column("pd", sa.Float(), nullable=False),
        sa.Column("scorecard_version_id", sa.Integer(), nullable=False),
        sa.Column("grade_scale_version_id", sa.Integer(), nullable=False),
        sa.Column("inputs_hash", sa.String(length=64), nullable=False),
        sa.Column("factors", sa.JSON(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("knocked_out_by", sa.String(length=64), nullable=True),
        sa.Column(
            "trigger",
            sa.Enum(
                "manual",
                "all",
                "changed",
                "demo",
                name="scoretrigger",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("computed_at", fengkong.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("computed_by", sa.String(length=64), nullable=False),
        sa.CheckConstraint("pd > 0 AND pd < 1", name=op.f("ck_risk_scores_pd_is_probability")),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_risk_scores_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["grade_scale_version_id"],
            ["grade_scale_versions.id"],
            name=op.f("fk_risk_scores_grade_scale_version_id_grade_scale_versions"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["scorecard_version_id"],
            ["scorecard_versions.id"],
            name=op.f("fk_risk_scores_scorecard_version_id_scorecard_versions"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_scores")),
    )
    with op.batch_alter_table("risk_scores", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_risk_scores_customer_id_id"), ["customer_id", "id"], unique=False
        )

    op.create_table(
        "customer_ratings",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("risk_score_id", sa.BigInteger(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("grade", sa.String(length=8), nullable=False),
        sa.Column("pd", sa.Float(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("updated_at", fengkong.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_ratings_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["risk_score_id"],
            ["risk_scores.id"],
            name=op.f("fk_customer_ratings_risk_score_id_risk_scores"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_customer_ratings")),
    )
    with op.batch_alter_table("customer_ratings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customer_ratings_grade"), ["grade"], unique=False)
        batch_op.create_index(batch_op.f("ix_customer_ratings_score"), ["score"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("customer_ratings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_ratings_score"))
        batch_op.drop_index(batch_op.f("ix_customer_ratings_grade"))

    op.drop_table("customer_ratings")
    with op.batch_alter_table("risk_scores", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_risk_scores_customer_id_id"))

    op.drop_table("risk_scores")
    with op.batch_alter_table("qualitative_assessments", schema=None) as batch_op:
        batch_op.drop_index(
            batch_op.f("ix_qualitative_assessments_customer_id_question_assessed_on")
        )

    op.drop_table("qualitative_assessments")
    op.drop_table("scorecard_versions")
    op.drop_table("grade_scale_versions")
    op.drop_table("consumer_positions")
