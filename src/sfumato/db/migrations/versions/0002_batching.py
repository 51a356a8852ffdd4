"""Jobs record which pipeline call they can share (batching) and what the engine warned about.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _batch_key(params: dict) -> str:
    # The rule of domain.batching.batch_key as it stood when this migration was written.
    guidance = float(params["guidance_scale"])
    mode = "off" if guidance <= 1.0 else f"cfg{guidance:g}"
    return f"{params['model']}|{params['width']}x{params['height']}|{params['steps']}|{mode}"


def upgrade() -> None:
    op.add_column("jobs", sa.Column("batch_key", sa.String(200), nullable=False, server_default=""))
    op.add_column("jobs", sa.Column("warnings", sa.JSON(), nullable=True))
    jobs = sa.table(
        "jobs", sa.column("id", sa.String), sa.column("params", sa.JSON), sa.column("batch_key", sa.String)
    )
    connection = op.get_bind()
    for row in connection.execute(sa.select(jobs.c.id, jobs.c.params)).all():
        connection.execute(jobs.update().where(jobs.c.id == row.id).values(batch_key=_batch_key(row.params)))
    op.create_index("ix_jobs_status_batch_created", "jobs", ["status", "batch_key", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_jobs_status_batch_created", "jobs")
    op.drop_column("jobs", "warnings")
    op.drop_column("jobs", "batch_key")
