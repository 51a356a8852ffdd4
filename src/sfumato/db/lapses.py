"""Leases that lapsed (docs/architecture.md, "The database is the queue"): a worker that stops answering
leaves its jobs processing with a lease in the past. A look takes them back: to the queue with their turn
(db.claims), so they run next, or `failed` after their last attempt, with what an end brings (db.job_ends)."""

from dataclasses import dataclass

from sqlalchemy import select, update

from sfumato.db.database import Database
from sfumato.db.job_ends import ENDED, record_end
from sfumato.db.notify import JOBS_QUEUED, notify
from sfumato.db.tables import JobRow
from sfumato.domain.clock import Clock
from sfumato.domain.jobs import JobStatus


@dataclass(frozen=True)
class Expired:
    requeued: list[str]
    failed: list[str]


def requeue_lapsed(db: Database, clock: Clock) -> Expired:
    """Jobs whose lease lapsed: back to the queue, or `failed` after their last attempt."""
    now = clock.now()
    lapsed = (JobRow.status == JobStatus.PROCESSING, JobRow.lease_expires_at < now)
    with db.read() as session:  # the common case, nothing lapsed, takes no write lock
        if session.scalar(select(JobRow.id).where(*lapsed).limit(1)) is None:
            return Expired([], [])
    with db.write() as session:
        rows = session.execute(
            select(JobRow.id, JobRow.attempts, JobRow.max_attempts)
            .where(*lapsed)
            .with_for_update(skip_locked=True)
        ).all()
        requeued = [row.id for row in rows if row.attempts < row.max_attempts]
        failed = [row.id for row in rows if row.attempts >= row.max_attempts]
        if requeued:
            session.execute(
                update(JobRow)
                .where(JobRow.id.in_(requeued))  # rows this transaction has locked
                .values(status=JobStatus.QUEUED, lease_owner=None, lease_expires_at=None, progress=0.0)
            )
            notify(session, JOBS_QUEUED)
        if failed:
            ended = session.execute(
                update(JobRow)
                .where(JobRow.id.in_(failed))
                .values(
                    status=JobStatus.FAILED,
                    completed_at=now,
                    lease_expires_at=None,
                    error_code="worker_lost",
                    error_message="the workers running this job stopped answering on every attempt",
                )
                .returning(*ENDED)
            ).all()
            record_end(session, clock, ended, JobStatus.PROCESSING, JobStatus.FAILED)
    return Expired(requeued, failed)
