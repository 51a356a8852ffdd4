"""The jobs table read as records (domain.jobs.Job), each with its images: what clients, metrics and the
sweeper ask of jobs. Every change of a job's state is the queue's (db.queue)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

from sqlalchemy import Select, and_, bindparam, delete, exists, func, select
from sqlalchemy.orm import Session

from sfumato.db import idempotency, images, job_words, outbox, status_counts
from sfumato.db.database import Database
from sfumato.db.pagination import paginate, past
from sfumato.db.places import QUEUED
from sfumato.db.records import record
from sfumato.db.tables import ImageRow, JobRow, KeyRow
from sfumato.db.types import UTCDateTime
from sfumato.domain.images import Image
from sfumato.domain.jobs import TERMINAL, Job, JobStatus
from sfumato.domain.pages import Page
from sfumato.domain.params import JobParams

JobWithImages = tuple[Job, list[Image]]


@dataclass(frozen=True)
class SweepWindow:
    """One step of the sweeper's read: the jobs of its window that may go, and the window's last job
    (created_at, id) when it was full, the next step reading on from there; None when nothing follows."""

    sweepable: list[str]
    last: tuple[datetime, str] | None


@dataclass
class WorkerSeen:
    name: str
    running: int
    ended: int
    last_seen: datetime | None


IMAGE = "image_"  # the prefix of the image's columns in _polled's rows, beside the job's own


@cache
def _polled() -> Select[Any]:
    """A key's job by its id with its images that still exist (db.images.generated_of's rule), in one
    statement: one row per image, or one with no image; the image's columns named with IMAGE before them."""
    job, image = JobRow.__table__, ImageRow.__table__
    alive = and_(
        image.c.job_id == job.c.id,
        image.c.job_index.is_not(None),
        image.c.expires_at > bindparam("now", type_=UTCDateTime()),
    )
    return (
        select(job, *(column.label(IMAGE + column.name) for column in image.c))
        .select_from(job.outerjoin(image, alive))
        .where(job.c.id == bindparam("job_id"), job.c.key_id == bindparam("key_id"))
        .order_by(image.c.job_index)
    )


class _ImageColumns:
    """One of _polled's rows read as its image's row."""

    __slots__ = ("row",)

    def __init__(self, row: Any) -> None:
        self.row = row

    def __getattr__(self, name: str) -> Any:
        return getattr(self.row, IMAGE + name)


def job_of(row: Any) -> Job:
    """A job from its row (the ORM's or a Core statement's: the same column names)."""
    return record(Job, row, status=JobStatus(row.status), params=JobParams.from_dict(row.params))


def with_images_in(
    session: Session, job_id: str, now: datetime, key_id: str | None = None
) -> JobWithImages | None:
    """A job and its n images that still exist, in the caller's transaction; with `key_id`, only that
    key's job."""
    query = select(JobRow).where(JobRow.id == job_id)
    if key_id is not None:
        query = query.where(JobRow.key_id == key_id)
    row = session.scalar(query)
    if row is None:
        return None
    return job_of(row), images.generated_of(session, [job_id], now).get(job_id, [])


def delete_in(session: Session, job_ids: Sequence[str]) -> int:
    """Delete these jobs' rows in the caller's transaction, their words, and their counts in db.status_counts;
    how many."""
    job_words.delete_of(session, job_ids)
    gone = session.scalars(delete(JobRow).where(JobRow.id.in_(job_ids)).returning(JobRow.status)).all()
    status_counts.deleted(session, gone)
    return len(gone)


class JobStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, key_id: str, job_id: str, now: datetime) -> JobWithImages | None:
        """The key's job and its images that still exist: one Core statement, built once, on a plain
        connection, in no transaction of its own (a client polls this many times a second; the ORM's
        objects, and a second statement, cost most of it)."""
        with self.db.reading(transaction=False) as connection:
            rows = connection.execute(_polled(), {"job_id": job_id, "key_id": key_id, "now": now}).all()
        if not rows:
            return None
        found = [images.image_of(_ImageColumns(row)) for row in rows if row.image_id is not None]
        return job_of(rows[0]), found

    def page(
        self,
        key_id: str,
        now: datetime,
        *,
        status: JobStatus | None,
        limit: int,
        after: str | None,
        model: str | None = None,
        terms: Sequence[str] = (),
    ) -> Page[JobWithImages]:
        """A page of the key's jobs, newest first; of a status, of a model, holding every one of `terms`
        (domain.search) when asked."""
        with self.db.read() as session:
            if terms:
                query, order = job_words.matching(key_id, terms, job_words.rarest(session, key_id, terms))
            else:
                query, order = select(JobRow).where(JobRow.key_id == key_id), JobRow
            if status is not None:
                query = query.where(JobRow.status == status)
            if model is not None:
                query = query.where(JobRow.model == model)
            page = paginate(session, query, order, job_of, limit=limit, after=after)
            found = images.generated_of(session, [job.id for job in page.items], now)
        return Page([(job, found.get(job.id, [])) for job in page.items], page.has_more, page.next_cursor)

    def counts(self) -> dict[str, int]:
        """Jobs by status, every status named (0 where none): the live ones counted from the status index
        (only jobs not yet ended), the ended ones read from db.status_counts, whatever the history's
        length."""
        live = (JobStatus.QUEUED, JobStatus.PROCESSING)
        with self.db.read() as session:
            found = status_counts.counts(session)
            for status in live:
                found[status] = session.scalar(select(func.count()).where(JobRow.status == status)) or 0
        return {status.value: found.get(status.value, 0) for status in JobStatus}

    def queued_by_plan(self) -> dict[str, tuple[int, datetime]]:
        """The queued jobs by their key's plan: how many, and when the oldest was queued."""
        with self.db.read() as session:
            rows = session.execute(
                select(KeyRow.plan, func.count(), func.min(JobRow.created_at))
                .join(KeyRow, KeyRow.id == JobRow.key_id)
                .where(QUEUED)
                .group_by(KeyRow.plan)
            ).all()
        return {plan: (count, oldest) for plan, count, oldest in rows}

    def active(self, key_id: str, limit: int = 50) -> list[Job]:
        """This key's jobs that have not ended, up to `limit`: the running ones, then the queued, each
        oldest first. Each status is read apart, in the order of its own index range: a running job is never
        cut off by a page of older queued ones, and a key's ended history is never read."""
        jobs: list[Job] = []
        with self.db.read() as session:
            for status in (JobStatus.PROCESSING, JobStatus.QUEUED):
                rows = session.scalars(
                    select(JobRow)
                    .where(JobRow.key_id == key_id, JobRow.status == status)
                    .order_by(JobRow.created_at, JobRow.id)
                    .limit(limit - len(jobs))
                )
                jobs += [job_of(row) for row in rows]
        return jobs

    def images_per_day(self, key_id: str, start: datetime, end: datetime) -> dict[date, int]:
        """Images this key's jobs made, by the UTC day their job was made, between `start` and `end`."""
        with self.db.read() as session:
            rows = session.execute(
                select(JobRow.created_at, JobRow.n).where(
                    JobRow.key_id == key_id,
                    JobRow.status == JobStatus.SUCCEEDED,
                    JobRow.created_at >= start,
                    JobRow.created_at < end,
                )
            ).all()
        days: dict[date, int] = {}
        for created_at, n in rows:
            day = created_at.astimezone(UTC).date()
            days[day] = days.get(day, 0) + n
        return days

    def workers(self, since: datetime) -> list[WorkerSeen]:
        """The workers holding jobs now, or that ended one since `since`: what the database knows of them."""
        with self.db.read() as session:
            rows = session.execute(
                select(JobRow.lease_owner, JobRow.status, JobRow.completed_at, JobRow.started_at).where(
                    JobRow.lease_owner.is_not(None),
                    (JobRow.status == JobStatus.PROCESSING) | (JobRow.completed_at >= since),
                )
            ).all()
        seen: dict[str, WorkerSeen] = {}
        for owner, status, completed_at, started_at in rows:
            worker = seen.setdefault(str(owner), WorkerSeen(str(owner), 0, 0, None))
            moment = completed_at or started_at
            if status == JobStatus.PROCESSING:
                worker.running += 1
            else:
                worker.ended += 1
            if moment is not None and (worker.last_seen is None or moment > worker.last_seen):
                worker.last_seen = moment
        return sorted(seen.values(), key=lambda worker: worker.name)

    # Retention: ended jobs older than the retention, with no image left and no webhook still to send.

    @staticmethod
    def _sweepable(before: datetime) -> tuple[Any, ...]:
        return (
            JobRow.status.in_(TERMINAL),
            JobRow.created_at <= before,
            ~exists().where(ImageRow.job_id == JobRow.id),
            ~outbox.pending_of(JobRow.id),
        )

    def sweepable(
        self, before: datetime, limit: int, after: tuple[datetime, str] | None = None
    ) -> SweepWindow:
        """The next `limit` ended jobs created at or before `before`, in creation order from just `after` a
        (created_at, id), and which of them may go. The window is read alone, one ordered range of the
        (status, created_at) index per ended status, and judged after: asked as one ordered query,
        PostgreSQL's planner (which cannot tell how many old jobs have no image left) sorted every old job at
        each step."""
        window: list[tuple[datetime, str]] = []
        with self.db.read() as session:
            for status in sorted(TERMINAL):
                query = select(JobRow.created_at, JobRow.id).where(
                    JobRow.status == status, JobRow.created_at <= before
                )
                if after is not None:
                    query = query.where(past(JobRow.created_at, JobRow.id, after))
                rows = session.execute(query.order_by(JobRow.created_at, JobRow.id).limit(limit)).all()
                window += [(row.created_at, row.id) for row in rows]
            window = sorted(window)[:limit]
            ids = [job_id for _, job_id in window]
            allowed = set(
                session.scalars(select(JobRow.id).where(JobRow.id.in_(ids), *self._sweepable(before)))
            )
        last = window[-1] if len(window) == limit else None
        return SweepWindow([job_id for job_id in ids if job_id in allowed], last)

    def purge(self, job_ids: Sequence[str], before: datetime) -> int:
        """Delete those of these jobs still sweepable, with their deliveries and idempotency keys;
        how many this call deleted."""
        with self.db.write() as session:
            ids = list(
                session.scalars(select(JobRow.id).where(JobRow.id.in_(job_ids), *self._sweepable(before)))
            )
            outbox.delete_of_jobs(session, ids)
            idempotency.delete_of_jobs(session, ids)
            return delete_in(session, ids)
