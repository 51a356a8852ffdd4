"""Workers' heartbeats: each worker's row says which models it serves and holds in memory, and when it was
last seen, so an API process lists the fleet's models (`GET /v1/models`) and a job of a model no live worker
serves says it waits for one (docs/api.md §15).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "workers",
        sa.Column("name", sa.String(80), primary_key=True),
        sa.Column("models", sa.JSON(), nullable=False),
        sa.Column("loaded", sa.JSON(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_workers_seen", "workers", ["seen_at"])


def downgrade() -> None:
    op.drop_index("ix_workers_seen", table_name="workers")
    op.drop_table("workers")
