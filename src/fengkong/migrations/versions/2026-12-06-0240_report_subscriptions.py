"""Report subscriptions: who receives which report how often, and the files their e-mails carry.

Revision ID: 0020_report_subscriptions
Revises: 0019_audit_chain
Create Date: 2026-12-06 02:40:00
"""

from collections.abc import Sequence

revision: str = "0020_report_subscriptions"
down_revision: str | None = "0019_audit_chain"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
