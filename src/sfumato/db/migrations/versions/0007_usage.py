"""Monthly image quotas (docs/plans.md): images charged per key and UTC month, and the month each job
was charged in, so that a refund goes back to the month that paid.

Jobs already there are charged to the month they were made in, unless they failed or were canceled.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22
"""

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "usage_months",
        sa.Column("key_id", sa.String(40), sa.ForeignKey("api_keys.id"), primary_key=True),
        sa.Column("month", sa.String(7), primary_key=True),  # "2026-11", UTC
        sa.Column("images", sa.Integer(), nullable=False),
    )
    op.add_column("jobs", sa.Column("charged_month", sa.String(7), nullable=True))

    jobs = sa.table(
        "jobs",
        sa.column("id", sa.String),
        sa.column("key_id", sa.String),
        sa.column("status", sa.String),
        sa.column("n", sa.Integer),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("charged_month", sa.String),
    )
    usage = sa.table(
        "usage_months",
        sa.column("key_id", sa.String),
        sa.column("month", sa.String),
        sa.column("images", sa.Integer),
    )
    connection = op.get_bind()
    charged: Counter[tuple[str, str]] = Counter()
    rows = connection.execute(
        sa.select(jobs.c.id, jobs.c.key_id, jobs.c.n, jobs.c.created_at).where(
            jobs.c.status.in_(["queued", "processing", "succeeded"])
        )
    ).all()
    for job_id, key_id, n, created_at in rows:
        if isinstance(created_at, str):  # SQLite hands the stored text back through a bare table()
            created_at = datetime.fromisoformat(created_at)
        if created_at.tzinfo is None:
            created_at = created_at.replace(tzinfo=UTC)
        month = created_at.astimezone(UTC).strftime("%Y-%m")
        connection.execute(jobs.update().where(jobs.c.id == job_id).values(charged_month=month))
        charged[(key_id, month)] += n
    for (key_id, month), images in charged.items():
        connection.execute(usage.insert().values(key_id=key_id, month=month, images=images))


def downgrade() -> None:
    op.drop_column("jobs", "charged_month")
    op.drop_table("usage_months")
