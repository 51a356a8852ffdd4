"""A key's jobs found by their words, and by model (docs/dashboard.md, "What a search costs").

- job_words: each job's words (domain.search), keyed (key_id, word, created_at, job_id), so a search reads
  only the rows of its word, newest first; (job_id, word) checks a job's other words and deletes a job's.
  The jobs already stored get theirs here.
- ix_jobs_key_model_created: a key's jobs of one model, newest first, seeking to their cursor.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from sfumato.domain.search import words_of

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000


def upgrade() -> None:
    words = op.create_table(
        "job_words",
        sa.Column("key_id", sa.String(40), primary_key=True),
        sa.Column("word", sa.String(40), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), primary_key=True),
        sa.Column("job_id", sa.String(40), sa.ForeignKey("jobs.id"), primary_key=True),
    )
    op.create_index("ix_job_words_job_word", "job_words", ["job_id", "word"])
    op.create_index("ix_jobs_key_model_created", "jobs", ["key_id", "model", "created_at", "id"])
    jobs = sa.table(
        "jobs",
        sa.column("id", sa.String),
        sa.column("key_id", sa.String),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("params", sa.JSON),
    )
    connection = op.get_bind()
    last = ""
    while True:  # in batches of the primary key: a long history never sits in memory at once
        rows = connection.execute(
            sa.select(jobs).where(jobs.c.id > last).order_by(jobs.c.id).limit(BATCH)
        ).all()
        if not rows:
            break
        found = [
            {"key_id": row.key_id, "word": word, "created_at": row.created_at, "job_id": row.id}
            for row in rows
            for word in words_of((row.params or {}).get("name"), (row.params or {}).get("prompt"))
        ]
        if found:
            connection.execute(words.insert(), found)
        last = rows[-1].id


def downgrade() -> None:
    op.drop_index("ix_jobs_key_model_created", table_name="jobs")
    op.drop_index("ix_job_words_job_word", table_name="job_words")
    op.drop_table("job_words")
