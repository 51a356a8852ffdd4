"""A job as it is queued: its row and its words built before its transaction opens (nothing in that reads the
database), then written by two Core inserts inside it (db.queue.put), no ORM unit of work: every submission
runs this while it holds SQLite's one write lock, and the less it does there, the more submissions a second
pass (docs/benchmarks.md, "The API's own cost")."""

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from types import SimpleNamespace
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from sfumato.db import job_words
from sfumato.db.records import record
from sfumato.db.tables import JobRow, JobWordRow
from sfumato.domain import batching, fairness
from sfumato.domain.jobs import Job, JobStatus
from sfumato.domain.params import JobParams


@dataclass(frozen=True)
class NewJob:
    """A job as it is queued, built before its transaction opens (nothing in it reads the database): its
    row's columns but its turn, which the queue gives it inside (db.queue), and its words' rows."""

    values: dict[str, Any]
    words: list[dict[str, Any]]
    params: JobParams

    @property
    def job(self) -> Job:
        """The job as its row holds it once written."""
        row = SimpleNamespace(**dict.fromkeys(_UNSET), **self.values)
        return record(Job, row, status=JobStatus.QUEUED, params=self.params)


def new_row(
    job_id: str, key_id: str, params: JobParams, now: datetime, max_attempts: int, charged_month: str | None
) -> NewJob:
    """The one constructor of the table's rows."""
    values = {
        "id": job_id,
        "key_id": key_id,
        "status": JobStatus.QUEUED.value,
        "params": params.to_dict(),
        "model": params.model,
        "n": params.n,
        "batch_key": batching.batch_key(params),
        "priority": fairness.rank(params.priority),
        "created_at": now,
        "progress": 0.0,
        "attempts": 0,
        "max_attempts": max_attempts,
        "charged_month": charged_month,
    }
    return NewJob(values, job_words.rows_of(job_id, key_id, params, now), params)


# A new job's columns that stay empty until it runs or ends: left out of its insert, so they are SQL's NULL
# (a JSON column given None would hold JSON's `null`).
_UNSET = (
    "warnings",
    "started_at",
    "completed_at",
    "error_code",
    "error_message",
    "lease_owner",
    "lease_expires_at",
    "preview",
)


@cache
def _inserts() -> tuple[Any, Any]:
    """A new job's two inserts, built once: its row, and its words' rows (many at once)."""
    return insert(JobRow), insert(JobWordRow)


def insert_new(session: Session, new: NewJob, turn: float) -> Job:
    """Write a new job at `turn` in the caller's transaction: Core statements, no ORM unit of work (every
    submission runs this while it holds the write lock)."""
    job_insert, words_insert = _inserts()
    connection = session.connection()
    connection.execute(job_insert, new.values | {"turn": turn})
    if new.words:
        connection.execute(words_insert, new.words)
    return new.job
