"""Scores record the model version that made them; shadow scores of challengers.

``risk_scores.model_version_id`` names the registry entry that computed each score (null only for
rows older than this revision that no registered expert scorecard version accounts for: the
upgrade fills it in from the expert entry of the row's scorecard version where there is one).
``model_versions.shadow`` marks challengers that score beside the champion; ``shadow_scores``
holds what they said, one row per model, customer and as-of date.

Revision ID: 0012_model_scoring
Revises: 0011_notifications_reviews
Create Date: 2026-12-06 01:00:00
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

import fengkong.db

revision: str = "0012_model_scoring"
down_revision: str | None = "0011_notifications_reviews"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BACKFILL = """
UPDATE risk_scores SET model_version_id = (
    SELECT min(model_versions.id) FROM model_versions
    WHERE model_versions.kind = 'expert'
      AND model_versions.scorecard_version_id = risk_scores.scorecard_version_id
)
WHERE model_version_id IS NULL
"""


@contextmanager
def _ratings_kept() -> Iterator[None]:
    """On SQLite, batch mode rebuilds ``risk_scores``, and dropping the old table with foreign
    keys on deletes every ``customer_ratings`` row (ON DELETE CASCADE): keep them aside and put
    them back once the new table holds the same score ids."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("CREATE TEMPORARY TABLE kept_ratings AS SELECT * FROM customer_ratings")
    yield
    if sqlite:
        op.execute("INSERT OR REPLACE INTO customer_ratings SELECT * FROM kept_ratings")
        op.execute("DROP TABLE kept_ratings")


def upgrade() -> None:
    with _ratings_kept(), op.batch_alter_table("risk_scores", schema=None) as batch_op:
        batch_op.add_column(sa.Column("model_version_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_risk_scores_model_version_id_model_versions"),
            "model_versions",
            ["model_version_id"],
            ["id"],
            ondelete="RESTRICT",
        )
        batch_op.create_index(
            batch_op.f("ix_risk_scores_model_version_id_as_of"),
            ["model_version_id", "as_of"],
            unique=False,
        )
    op.execute(_BACKFILL)

    # Plain ALTER TABLE on both: a batch rebuild of model_versions would cascade into its
    # decisions on SQLite.
    op.add_column(
        "model_versions",
        sa.Column("shadow", sa.Boolean(), nullable=False, server_default=sa.false()),
    )

    op.create_table(
        "shadow_scores",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("model_version_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("pd", sa.Float(), nullable=False),
        sa.Column("grade", sa.String(length=8), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("computed_at", fengkong.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("pd > 0 AND pd < 1", name=op.f("ck_shadow_scores_pd_is_probability")),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_shadow_scores_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["model_version_id"],
            ["model_versions.id"],
            name=op.f("fk_shadow_scores_model_version_id_model_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shadow_scores")),
        sa.UniqueConstraint(
            "model_version_id",
            "as_of",
            "customer_id",
            name=op.f("uq_shadow_scores_model_version_id_as_of_customer_id"),
        ),
    )


def downgrade() -> None:
    op.drop_table("shadow_scores")
    op.drop_column("model_versions", "shadow")
    with _ratings_kept(), op.batch_alter_table("risk_scores", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_risk_scores_model_version_id_as_of"))
        batch_op.drop_constraint(
            batch_op.f("fk_risk_scores_model_version_id_model_versions"), type_="foreignkey"
        )
        batch_op.drop_column("model_version_id")
