"""Which queued jobs a worker takes next (docs/architecture.md, "A fair queue"), read in the claim's own
transaction (db.queue):

1. the model: among those the worker serves, one with queued jobs; those it has loaded first, unless another's
   oldest job has waited past the worker's bound (domain.fairness.model_order);
2. the key: whichever holds that model's first turn;
3. the job: that key's first by priority, then age. It takes the key's turn; when another of the key's jobs
   held that turn, the two exchange turns, so the key's turns to come stay what they were;
4. the batch: the jobs compatible with it (domain.batching), of any key, in turn order.

Every read is a range of one of the queued jobs' indexes (db.places), and locks what it returns with SKIP
LOCKED on PostgreSQL, so a claim in flight elsewhere is stepped over, never waited for; SQLite has one
writer at a time.
"""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sfumato.db.places import KEY_ORDER, QUEUED, TURN_ORDER
from sfumato.db.tables import JobRow
from sfumato.domain import fairness
from sfumato.domain.batching import Pending


@dataclass(frozen=True)
class Wanted:
    """What a worker takes: jobs of `models` (None: any model, the oldest job's first), preferring the
    `resident` ones (None: all of them alike) until another model's oldest job has waited `switch_after`
    seconds (None: never)."""

    models: Collection[str] | None = None
    resident: Collection[str] | None = None
    switch_after: float | None = None


ANY = Wanted()


def has_queued(session: Session, models: Collection[str] | None) -> bool:
    """Whether any job of these models (None: of any model) waits."""
    if models is None:
        return session.scalar(select(JobRow.id).where(QUEUED).limit(1)) is not None
    return any(
        session.scalar(select(JobRow.id).where(QUEUED, JobRow.model == model).limit(1)) is not None
        for model in models
    )


def _models(session: Session, wanted: Wanted, now: datetime) -> list[str]:
    """The models to claim from, best first."""
    if wanted.models is None:
        model = session.scalar(
            select(JobRow.model).where(QUEUED).order_by(JobRow.created_at, JobRow.id).limit(1)
        )
        return [model] if model is not None else []
    if len(wanted.models) == 1:
        return list(wanted.models)
    work = []
    for model in wanted.models:
        oldest = session.scalar(
            select(JobRow.created_at)
            .where(QUEUED, JobRow.model == model)
            .order_by(JobRow.created_at, JobRow.id)
            .limit(1)
        )
        if oldest is not None:
            resident = wanted.resident is None or model in wanted.resident
            work.append(fairness.ModelWork(model, (now - oldest).total_seconds(), resident))
    return fairness.model_order(work, wanted.switch_after)


def first_job(session: Session, wanted: Wanted, now: datetime) -> Pending | None:
    """The job that starts the next batch, locked in the caller's transaction; None if nothing waits."""
    for model in _models(session, wanted, now):
        head = session.execute(
            select(JobRow.id, JobRow.key_id, JobRow.turn)
            .where(QUEUED, JobRow.model == model)
            .order_by(*TURN_ORDER)
            .limit(1)
            .with_for_update(skip_locked=True)
        ).first()
        if head is None:  # every job of the model is being claimed elsewhere
            continue
        job = session.execute(
            select(JobRow.id, JobRow.turn, JobRow.batch_key, JobRow.n)
            .where(QUEUED, JobRow.key_id == head.key_id, JobRow.model == model)
            .order_by(*KEY_ORDER)
            .limit(1)
            .with_for_update(skip_locked=True)
        ).one()  # the head itself at least: this transaction's own lock does not hide it
        if job.id != head.id:  # the key's first job takes the key's turn; the turn's holder takes its place
            for job_id, turn in ((head.id, job.turn), (job.id, head.turn)):
                session.execute(update(JobRow).where(JobRow.id == job_id).values(turn=turn))
        return Pending(job.id, job.batch_key, job.n)
    return None


def compatible(session: Session, batch_key: str, limit: int, *, besides: str | None = None) -> list[Pending]:
    """Up to `limit` queued jobs of `batch_key`, any key's, in turn order, locked; `besides` left out."""
    query = select(JobRow.id, JobRow.batch_key, JobRow.n).where(QUEUED, JobRow.batch_key == batch_key)
    if besides is not None:
        query = query.where(JobRow.id != besides)
    rows = session.execute(query.order_by(*TURN_ORDER).limit(limit).with_for_update(skip_locked=True)).all()
    return [Pending(row.id, row.batch_key, row.n) for row in rows]
