"""Dashboard sessions with a row each: signing out deletes it, so a copy of the cookie taken before opens
nothing after (docs/dashboard.md).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dashboard_sessions",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("key_id", sa.String(40), sa.ForeignKey("api_keys.id"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_dashboard_sessions_created", "dashboard_sessions", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_dashboard_sessions_created", table_name="dashboard_sessions")
    op.drop_table("dashboard_sessions")
