"""Where queued jobs stand (domain.fairness): the turn a job gets when it is queued, how many jobs a key has
waiting, a job's position, and how fast a model's jobs have been starting.

Each query reads a range of the queued jobs' own indexes (db.tables `_waiting`), which hold nothing but what
waits: its cost follows the queue's length, never the history's. They are reached only with the condition
written as the indexes' own literal, QUEUED (a bound parameter would not let either database use them).
"""

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, bindparam, func, literal_column, or_, select
from sqlalchemy.orm import Session

from sfumato.db.database import Database
from sfumato.db.tables import JobRow
from sfumato.domain import fairness
from sfumato.domain.jobs import Job, JobStatus

QUEUED = JobRow.status == literal_column("'queued'")
# The queue's order within a model. Equal turns go by key, never by the job: a claim exchanges turns between
# a key's jobs (db.claims), and the order between keys must not change when it does.
TURN_ORDER = (JobRow.turn, JobRow.key_id, JobRow.id)
KEY_ORDER = (JobRow.priority, JobRow.created_at, JobRow.id)  # a key's own jobs: priority, then age


def before(columns: Sequence[Any], values: Sequence[Any]) -> ColumnElement[bool]:
    """Rows strictly before `values` in the ascending order of `columns`. The bound on the first column
    alone lets an index seek to the place whatever the statistics say; the rest breaks ties (as
    db.pagination.past does for two columns)."""
    first, *rest = columns
    value, *others = values
    if not rest:
        return first < value
    return and_(first <= value, or_(first < value, and_(first == value, before(rest, others))))


@cache
def _turn_statement() -> Any:
    """turn_for's read, built once (bound values, not literals, for the key and the model): the model's
    first turn and the key's last, two seeks in one statement."""
    model = JobRow.model == bindparam("model")
    first = select(JobRow.turn).where(QUEUED, model).order_by(JobRow.turn).limit(1)
    last = select(JobRow.turn).where(QUEUED, JobRow.key_id == bindparam("key_id"), model)
    return select(first.scalar_subquery(), last.order_by(JobRow.turn.desc()).limit(1).scalar_subquery())


def turn_for(session: Session, key_id: str, model: str, images: int, weight: float) -> float:
    """The turn of a job the key queues now (domain.fairness.next_turn), in the caller's transaction.

    The caller has charged the key's month first (db.usage), whose row lock makes a key's submissions take
    turns on PostgreSQL, so two of them never read the same last turn; SQLite has one writer at a time."""
    first, last = session.connection().execute(_turn_statement(), {"key_id": key_id, "model": model}).one()
    return fairness.next_turn(first, last, images, weight)


def queued_of(session: Session, key_id: str) -> int:
    """The key's queued jobs, whatever their model."""
    return session.scalar(select(func.count()).where(QUEUED, JobRow.key_id == key_id)) or 0


@cache
def _position_statements() -> tuple[Any, Any, Any, Any, Any, Any]:
    """position_in's reads, built once: a poll of a queued job runs them many times a second."""
    job = select(JobRow.key_id, JobRow.model, JobRow.status, *KEY_ORDER).where(
        JobRow.id == bindparam("job_id")
    )
    mine = (QUEUED, JobRow.key_id == bindparam("key_id"), JobRow.model == bindparam("model"))
    place: tuple[Any, ...] = (bindparam("priority"), bindparam("created_at"), bindparam("id"))
    ahead_in_key = select(func.count()).where(*mine, before(KEY_ORDER, place))
    turn = select(*TURN_ORDER).where(*mine).order_by(*TURN_ORDER).offset(bindparam("skip")).limit(1)
    turn_place: tuple[Any, ...] = (bindparam("turn"), bindparam("turn_key"), bindparam("turn_id"))
    ahead = select(func.count()).where(
        QUEUED, JobRow.model == bindparam("model"), before(TURN_ORDER, turn_place)
    )
    # The key's last job by priority then age, and its last turn: one seek each (the newest job's case).
    last_in_key = select(JobRow.id).where(*mine).order_by(*(column.desc() for column in KEY_ORDER)).limit(1)
    last_turn = select(*TURN_ORDER).where(*mine).order_by(*(column.desc() for column in TURN_ORDER)).limit(1)
    return job, ahead_in_key, turn, ahead, last_in_key, last_turn


def position_in(session: Session | Connection, job_id: str, known: Job | None = None) -> int | None:
    """The jobs of its model that run before this queued job, as the queue stands; None if it is not queued.
    `known`: the job as the caller has just read it (queued), which spares reading it again.

    The job runs in its key's turn that matches its place among the key's jobs by priority then age: the
    r-th of the key's turns when r of its jobs come first. Every queued job of the model whose turn comes
    before that one runs before it."""
    job_read, ahead_in_key, turn_read, ahead, last_in_key, last_turn = _position_statements()
    if known is not None and known.status is JobStatus.QUEUED:
        key_id, model = known.key_id, known.params.model
        priority, created_at = fairness.rank(known.params.priority), known.created_at
    else:
        job = session.execute(job_read, {"job_id": job_id}).first()
        if job is None or job.status != "queued":
            return None
        key_id, model, priority, created_at = job.key_id, job.model, job.priority, job.created_at
    mine = {"key_id": key_id, "model": model}
    last = session.scalar(last_in_key, mine)
    if last is None:  # none of the key's jobs of the model waits now: this one was taken meanwhile
        return None
    if last == job_id:  # the key's last job (a new one, mostly): its last turn
        turn = session.execute(last_turn, mine).first()
    else:
        skip = session.scalar(
            ahead_in_key, mine | {"priority": priority, "created_at": created_at, "id": job_id}
        )
        turn = session.execute(turn_read, mine | {"skip": skip or 0}).first()
    if turn is None:  # claimed between two reads (QueuePlaces reads each statement afresh)
        return 0
    values = {"model": model, "turn": turn.turn, "turn_key": turn.key_id, "turn_id": turn.id}
    return session.scalar(ahead, values) or 0


class QueuePlaces:
    """Reads of the queue for clients: a job's position, a key's next job, the recent rate of starts."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def position(self, job_id: str, known: Job | None = None) -> int | None:
        # Each statement on its own, as PostgreSQL reads them (position_in minds what moves between them):
        # on SQLite no BEGIN and ROLLBACK around a read every submission and every poll of a queued job makes.
        with self.db.reading(transaction=False) as connection:
            return position_in(connection, job_id, known)

    def next_of_key(self, key_id: str) -> tuple[str, str] | None:
        """The key's queued job whose turn comes first, and its model: the next of its jobs to start."""
        with self.db.read() as session:
            query = select(JobRow.id, JobRow.model).where(QUEUED, JobRow.key_id == key_id)
            row = session.execute(query.order_by(*TURN_ORDER).limit(1)).first()
        return (row.id, row.model) if row is not None else None

    def started_since(self, model: str, moment: datetime) -> int:
        """Jobs of the model that a worker took (for the first time) at or after `moment`."""
        with self.db.read() as session:
            return (
                session.scalar(select(func.count()).where(JobRow.model == model, JobRow.started_at >= moment))
                or 0
            )
