"""The job queue, kept in the jobs table (docs/architecture.md, "The database is the queue").

A worker claims queued jobs with a lease, renews it while it works, and writes the result only if it
still holds the lease. A job whose lease lapses goes back to the queue, or fails after its last
attempt. Every status change is one UPDATE guarded by the statuses it may come from
(domain.jobs.TRANSITIONS), so a terminal state is written once, whoever races for it. What an end
brings with it (the webhook event, the refund of domain.plans.refunded, the signal to waiters) is
written in the transaction that ends the job (db.job_ends).
"""

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from sfumato.db import claims, images, places, usage
from sfumato.db.database import Database
from sfumato.db.job_ends import ENDED, record_end
from sfumato.db.jobs import delete_in, job_of
from sfumato.db.lapses import Expired, requeue_lapsed
from sfumato.db.new_jobs import NewJob, insert_new, new_row
from sfumato.db.notify import JOB_ENDED, JOBS_QUEUED, notify
from sfumato.db.tables import JobRow
from sfumato.domain import batching
from sfumato.domain.clock import Clock
from sfumato.domain.images import Image
from sfumato.domain.jobs import Job, JobStatus, sources_of
from sfumato.domain.params import JobParams
from sfumato.domain.plans import refunded


class JobQueue:
    def __init__(self, db: Database, clock: Clock, *, lease_seconds: float, max_attempts: int) -> None:
        self.db = db
        self.clock = clock
        self.lease = timedelta(seconds=lease_seconds)
        self.max_attempts = max_attempts

    def add(
        self,
        session: Session,
        *,
        job_id: str,
        key_id: str,
        params: JobParams,
        charged_month: str | None = None,
        weight: float = 1.0,
    ) -> Job:
        """Enqueue inside the caller's transaction, beside whatever else must commit with it (the
        quota charge of `charged_month`, an idempotency key). `weight`: the key's plan's `queue_weight`,
        which sets the job's turn (domain.fairness)."""
        return self.put(session, self.new(job_id, key_id, params, charged_month), weight)

    def new(
        self,
        job_id: str,
        key_id: str,
        params: JobParams,
        charged_month: str | None,
        created_at: datetime | None = None,
    ) -> NewJob:
        """A job to queue, built before its transaction opens: the less a writer does while it holds
        SQLite's one write lock, the more submissions a second the lock lets through."""
        now = created_at or self.clock.now()
        return new_row(job_id, key_id, params, now, self.max_attempts, charged_month)

    def put(self, session: Session, new: NewJob, weight: float = 1.0) -> Job:
        """Queue `new` inside the caller's transaction, at the turn its key and model give it now. Core
        statements on the session's connection: what the caller added to the session and did not flush is not
        written before them (its foreign keys would not be met)."""
        params = new.params
        turn = places.turn_for(session, new.values["key_id"], params.model, params.n, weight)
        job = insert_new(session, new, turn)
        notify(session, JOBS_QUEUED)
        return job

    def depth(self, at_most: int | None = None) -> int:
        """Jobs waiting for a worker, counted up to `at_most` (None: all): a submission asks whether the
        queue is full, and that costs the bound, not the queue. The queued jobs' own index (db.places)."""
        waiting = select(JobRow.id).where(places.QUEUED)
        if at_most is not None:
            waiting = waiting.limit(at_most)
        with self.db.reading() as connection:
            return connection.scalar(select(func.count()).select_from(waiting.subquery())) or 0

    def has_queued(self, models: Collection[str] | None = None) -> bool:
        """Whether a job of these models (None: of any model) waits."""
        with self.db.read() as session:
            return claims.has_queued(session, models)

    def claim(self, owner: str, limit: int = 1) -> list[Job]:
        """Take the next `limit` jobs in the queue's order (db.claims), compatible or not; each costs one
        attempt."""
        taken: list[Job] = []
        with self.db.write() as session:
            for _ in range(limit):
                first = claims.first_job(session, claims.ANY, self.clock.now())
                if first is None:
                    break
                taken += self._take(session, owner, [first.job_id])
        return sorted(taken, key=lambda job: (job.created_at, job.id))

    def claim_batch(
        self, owner: str, budget: int, *, batch_key: str | None = None, wanted: claims.Wanted = claims.ANY
    ) -> list[Job]:
        """The next job in the queue's order and compatible ones, up to `budget` images (db.claims,
        domain.batching); only jobs of the models `wanted`.

        With `batch_key`, only jobs of that key: more work for a batch already in hand. In one
        transaction, so two workers never take the same job (PostgreSQL skips rows another claim has
        locked; SQLite has one writer at a time).
        """
        topping_up = batch_key is not None
        if not topping_up and not self.has_queued(wanted.models):  # an idle look takes no write lock
            return []
        with self.db.write() as session:
            if batch_key is None:
                first = claims.first_job(session, wanted, self.clock.now())
                if first is None:
                    return []
                more = claims.compatible(session, first.batch_key, budget, besides=first.job_id)
                candidates = [first, *more]
            else:
                candidates = claims.compatible(session, batch_key, budget)
            chosen = batching.choose_batch(candidates, budget, topping_up=topping_up)
            return self._take(session, owner, chosen)

    def _take(self, session: Session, owner: str, job_ids: list[str]) -> list[Job]:
        if not job_ids:
            return []
        now = self.clock.now()
        statement = (
            update(JobRow)
            .where(JobRow.id.in_(job_ids), JobRow.status.in_(sources_of(JobStatus.PROCESSING)))
            .values(
                status=JobStatus.PROCESSING,
                lease_owner=owner,
                lease_expires_at=now + self.lease,
                attempts=JobRow.attempts + 1,
                started_at=func.coalesce(JobRow.started_at, now),
                progress=0.0,
            )
            .returning(JobRow)
            .execution_options(synchronize_session=False)
        )
        jobs = [job_of(row) for row in session.scalars(statement)]
        return sorted(jobs, key=lambda job: (job.created_at, job.id))

    def renew(
        self, owner: str, progress: Mapping[str, float], previews: Mapping[str, str] | None = None
    ) -> set[str]:
        """Extend the leases of these jobs and record their progress (and their latest previews, where
        there are new ones); returns those still held.

        A job missing from the answer was canceled, or its lease lapsed and it went to another
        worker: its holder should stop working on it.
        """
        expires = self.clock.now() + self.lease
        previews = previews or {}
        held = set()
        with self.db.write() as session:
            for job_id, fraction in progress.items():
                values: dict[str, Any] = {
                    "lease_expires_at": expires,
                    "progress": min(max(fraction, 0.0), 1.0),
                }
                if job_id in previews:
                    values["preview"] = previews[job_id]
                result = session.execute(
                    update(JobRow)
                    .where(
                        JobRow.id == job_id,
                        JobRow.status == JobStatus.PROCESSING,
                        JobRow.lease_owner == owner,
                    )
                    .values(**values)
                )
                if result.rowcount:  # type: ignore[attr-defined]
                    held.add(job_id)
        return held

    def complete(self, owner: str, job_id: str, made: Sequence[Image], warnings: Sequence[str] = ()) -> bool:
        """End the job `succeeded` with these images, if this worker still holds it.

        Safe to repeat: when an earlier try's commit landed but its answer was lost (the database
        restarting), the images' rows are there, and this answers True again."""
        with self.db.write() as session:
            done = self._finish(
                session, owner, job_id, JobStatus.SUCCEEDED, progress=1.0, warnings=list(warnings) or None
            )
            if not done:
                ids = [image.id for image in made]
                return bool(ids) and images.count_landed(session, job_id, ids) == len(ids)
            images.add_all(session, made)
        return True

    def fail(self, owner: str, job_id: str, code: str, message: str) -> bool:
        """End the job `failed`, if this worker still holds it."""
        with self.db.write() as session:
            return self._finish(
                session, owner, job_id, JobStatus.FAILED, error_code=code, error_message=message
            )

    def _finish(self, session: Session, owner: str, job_id: str, status: JobStatus, **values: object) -> bool:
        ended = session.execute(
            update(JobRow)
            .where(JobRow.id == job_id, JobRow.status.in_(sources_of(status)), JobRow.lease_owner == owner)
            .values(
                status=status, completed_at=self.clock.now(), lease_expires_at=None, preview=None, **values
            )
            .returning(*ENDED)
        ).all()
        if not ended:
            return False
        record_end(session, self.clock, ended, JobStatus.PROCESSING, status)
        return True

    def release(self, owner: str, job_ids: Sequence[str]) -> None:
        """Hand jobs back unfinished (a worker shutting down): queued again, the attempt not counted."""
        if not job_ids:
            return
        with self.db.write() as session:
            session.execute(
                update(JobRow)
                .where(
                    JobRow.id.in_(job_ids), JobRow.status == JobStatus.PROCESSING, JobRow.lease_owner == owner
                )
                .values(
                    status=JobStatus.QUEUED,
                    lease_owner=None,
                    lease_expires_at=None,
                    progress=0.0,
                    preview=None,
                    attempts=JobRow.attempts - 1,
                )
            )
            notify(session, JOBS_QUEUED)

    def cancel(self, job_id: str, key_id: str) -> bool:
        """Cancel a queued or running job of this key; False if it had already ended (or is not theirs)."""
        with self.db.write() as session:
            for before in (JobStatus.QUEUED, *sources_of(JobStatus.CANCELED) - {JobStatus.QUEUED}):
                ended = session.execute(
                    update(JobRow)
                    .where(JobRow.id == job_id, JobRow.key_id == key_id, JobRow.status == before)
                    .values(
                        status=JobStatus.CANCELED,
                        completed_at=self.clock.now(),
                        lease_expires_at=None,
                        preview=None,
                    )
                    .returning(*ENDED)
                ).all()
                if ended:
                    record_end(session, self.clock, ended, before, JobStatus.CANCELED)
                    return True
            return False

    def delete(self, job_id: str, key_id: str) -> bool:
        """Remove a job of this key and its image rows. A worker running it learns at its next renewal
        (the row is gone), stops, and its commit, finding nothing to finish, discards its files."""
        with self.db.write() as session:
            job = session.execute(
                select(JobRow.key_id, JobRow.status, JobRow.charged_month, JobRow.n).where(
                    JobRow.id == job_id, JobRow.key_id == key_id
                )
            ).first()
            if job is None:
                return False
            if refunded(JobStatus(job.status), None):
                usage.refund(session, [(job.key_id, job.charged_month, job.n)])
            images.delete_of_job(session, job_id)
            delete_in(session, [job_id])
            notify(session, JOB_ENDED, job_id)  # a waiter on it learns it is gone
        return True

    def requeue_expired(self) -> Expired:
        """Jobs whose lease lapsed: back to the queue, or `failed` after their last attempt (db.lapses)."""
        return requeue_lapsed(self.db, self.clock)
