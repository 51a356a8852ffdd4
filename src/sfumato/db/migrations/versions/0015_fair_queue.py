"""A fair queue (docs/architecture.md, "A fair queue"): each job's turn and priority, a key's own queue cap
and highest priority, and the indexes the claim reads.

The queue's indexes hold the queued jobs alone (partial indexes, `WHERE status = 'queued'`), so the claim's
cost follows what waits, never the history. Jobs queued before this take turns in the order of their age,
at normal priority: they run oldest first, as they would have.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WAITING = {
    "ix_jobs_queue_turn": ["model", "turn", "key_id", "id"],
    "ix_jobs_queue_batch": ["batch_key", "turn", "key_id", "id"],
    "ix_jobs_queue_key": ["key_id", "model", "priority", "created_at", "id"],
    "ix_jobs_queue_key_turn": ["key_id", "model", "turn", "id"],
    "ix_jobs_queue_age": ["model", "created_at", "id"],
}


def upgrade() -> None:
    op.add_column("jobs", sa.Column("turn", sa.Float(), server_default="0", nullable=False))
    op.add_column("jobs", sa.Column("priority", sa.Integer(), server_default="1", nullable=False))
    op.add_column("api_keys", sa.Column("max_queued", sa.Integer(), nullable=True))
    op.add_column("api_keys", sa.Column("max_priority", sa.String(8), nullable=True))
    # Each queued job's turn: the queued jobs older than it (few: SFUMATO_MAX_QUEUED_JOBS bounds them).
    op.execute(
        "UPDATE jobs SET turn = (SELECT count(*) FROM jobs AS older WHERE older.status = 'queued' "
        "AND older.created_at < jobs.created_at) WHERE status = 'queued'"
    )
    where = sa.text("status = 'queued'")
    for name, columns in _WAITING.items():
        op.create_index(name, "jobs", columns, sqlite_where=where, postgresql_where=where)
    op.create_index("ix_jobs_model_started", "jobs", ["model", "started_at"])
    # The batch's fill reads ix_jobs_queue_batch now, in turn order.
    op.drop_index("ix_jobs_status_batch_created", table_name="jobs")


def downgrade() -> None:
    op.create_index("ix_jobs_status_batch_created", "jobs", ["status", "batch_key", "created_at"])
    op.drop_index("ix_jobs_model_started", table_name="jobs")
    for name in _WAITING:
        op.drop_index(name, table_name="jobs")
    op.drop_column("api_keys", "max_priority")
    op.drop_column("api_keys", "max_queued")
    op.drop_column("jobs", "priority")
    op.drop_column("jobs", "turn")
