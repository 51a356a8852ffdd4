"""Cost that stays flat as the data grows (docs/architecture.md, "Cost as the data grows").

- A key's pages seek to their cursor: the listing indexes end with the id, the tie-breaker of the order,
  so `created_at <= :c` and the (created_at, id) bound read only the page's rows.
- `?status=` has an index of its own: (key_id, status, created_at, id).
- The sweeper's deletion of a job's idempotency keys finds them by job_id, and its check for a job's pending
  webhook reads (job_id, status).
- `/metrics` reads the ended jobs' counts from job_tallies, kept with every end and deletion of a job
  (db.status_counts), instead of counting the whole history at each scrape.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_REPLACED = {
    # index: (table, columns before, columns now)
    "ix_jobs_key_created": ("jobs", ["key_id", "created_at"], ["key_id", "created_at", "id"]),
    "ix_images_key_created": ("images", ["key_id", "created_at"], ["key_id", "created_at", "id"]),
    "ix_images_key_name_created": (
        "images",
        ["key_id", "name", "created_at"],
        ["key_id", "name", "created_at", "id"],
    ),
    # A job's pending deliveries by both columns: on (job_id) alone a planner may walk every pending one.
    "ix_webhook_deliveries_job": ("webhook_deliveries", ["job_id"], ["job_id", "status"]),
}
_ENDED = ("succeeded", "failed", "canceled")


def upgrade() -> None:
    for name, (table, _, columns) in _REPLACED.items():
        op.drop_index(name, table_name=table)
        op.create_index(name, table, columns)
    op.create_index("ix_jobs_key_status_created", "jobs", ["key_id", "status", "created_at", "id"])
    op.create_index("ix_idempotency_keys_job", "idempotency_keys", ["job_id"])
    tallies = op.create_table(
        "job_tallies",
        sa.Column("status", sa.String(16), primary_key=True),
        sa.Column("jobs", sa.BigInteger(), nullable=False),
    )
    op.bulk_insert(tallies, [{"status": status, "jobs": 0} for status in _ENDED])
    # The history so far, counted once here; from now on each end and deletion keeps the count.
    op.execute(
        "UPDATE job_tallies SET jobs = (SELECT count(*) FROM jobs WHERE jobs.status = job_tallies.status)"
    )


def downgrade() -> None:
    op.drop_table("job_tallies")
    op.drop_index("ix_idempotency_keys_job", table_name="idempotency_keys")
    op.drop_index("ix_jobs_key_status_created", table_name="jobs")
    for name, (table, columns, _) in _REPLACED.items():
        op.drop_index(name, table_name=table)
        op.create_index(name, table, columns)
