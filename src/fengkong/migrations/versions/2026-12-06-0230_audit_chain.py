"""Tamper-evident audit log: each entry carries the hash of the previous one; append-only on PostgreSQL.

Revision ID: 0019_audit_chain
Revises: 0018_personal_data
Create Date: 2026-12-06 02:30:00
"""

from collections.abc import Sequence

revision: str = "0019_audit_chain"
down_revision: str | None = "0018_personal_data"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
