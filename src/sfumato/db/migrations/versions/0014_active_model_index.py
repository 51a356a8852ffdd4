"""A pool's queue depth read from an index: the jobs queued or processing, by model (db.pools).

The autoscaler of each worker pool asks PostgreSQL every few seconds how many of its models' jobs are queued
or processing. A partial index holding only those jobs answers it by reading the queue, whatever the history.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE = "status IN ('queued', 'processing')"


def upgrade() -> None:
    op.create_index(
        "ix_jobs_active_model",
        "jobs",
        ["model", "status"],
        postgresql_where=sa.text(ACTIVE),
        sqlite_where=sa.text(ACTIVE),
    )


def downgrade() -> None:
    op.drop_index("ix_jobs_active_model", table_name="jobs")
