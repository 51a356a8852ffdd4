"""The webhook_deliveries table, the outbox (docs/webhooks.md): rows written with the job's end, claimed
and settled by dispatchers.

A row is claimed by pushing its `next_attempt_at` one lease ahead, so a dispatcher that dies mid-send
leaves it to be tried again; several dispatchers never send one attempt twice at the same time.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Row, delete, exists, select, update
from sqlalchemy.orm import Session

from sfumato.db.database import Database
from sfumato.db.records import record
from sfumato.db.tables import DeliveryRow, KeyRow
from sfumato.domain.clock import Clock
from sfumato.domain.ids import new_id

PENDING, DELIVERED, FAILED, GONE = "pending", "delivered", "failed", "gone"


def enqueue_events(session: Session, clock: Clock, ended: Iterable[Row[Any]], event: str) -> None:
    """In the caller's transaction, the one that ends the jobs (rows of db.job_ends.ENDED): a delivery per job
    with a webhook_url."""
    now = clock.now()
    for row in ended:
        job_id, key_id, params = row.id, row.key_id, row.params
        if url := params.get("webhook_url"):
            session.add(
                DeliveryRow(
                    id=new_id("msg"),
                    key_id=key_id,
                    job_id=job_id,
                    url=url,
                    event=event,
                    status=PENDING,
                    attempts=0,
                    next_attempt_at=now,
                    created_at=now,
                )
            )


def pending_of(job_id: Any) -> ColumnElement[bool]:
    """Whether a job still has a delivery to send (the sweeper keeps such a job)."""
    return exists().where(DeliveryRow.job_id == job_id, DeliveryRow.status == PENDING)


def delete_of_jobs(session: Session, job_ids: Sequence[str]) -> None:
    session.execute(delete(DeliveryRow).where(DeliveryRow.job_id.in_(job_ids)))


@dataclass(frozen=True)
class Delivery:
    """A delivery as its owner sees it: where, what, and how its attempts went."""

    id: str
    job_id: str
    url: str
    event: str
    body: str | None
    status: str
    attempts: int
    next_attempt_at: datetime
    last_status: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


def delivery_of(row: Any) -> Delivery:
    return record(Delivery, row)


@dataclass(frozen=True)
class Due:
    id: str
    key_id: str
    job_id: str
    url: str
    event: str
    body: str | None
    attempts: int
    created_at: datetime
    secret: str


class WebhookOutbox:
    def __init__(self, db: Database, clock: Clock, *, lease_seconds: float = 60.0) -> None:
        self.db = db
        self.clock = clock
        self.lease = timedelta(seconds=lease_seconds)

    def claim(self, limit: int) -> list[Due]:
        """Deliveries due now, each held for one lease."""
        now = self.clock.now()
        due = (DeliveryRow.status == PENDING, DeliveryRow.next_attempt_at <= now)
        with self.db.read() as session:  # the common case, nothing due, takes no write lock
            if session.scalar(select(DeliveryRow.id).where(*due).limit(1)) is None:
                return []
        with self.db.write() as session:
            rows = session.execute(
                select(DeliveryRow, KeyRow.webhook_secret)
                .join(KeyRow, KeyRow.id == DeliveryRow.key_id)
                .where(*due)
                .order_by(DeliveryRow.next_attempt_at)
                .limit(limit)
                .with_for_update(skip_locked=True, of=DeliveryRow)
            ).all()
            if not rows:
                return []
            ids = [delivery.id for delivery, _ in rows]
            session.execute(
                update(DeliveryRow).where(DeliveryRow.id.in_(ids)).values(next_attempt_at=now + self.lease)
            )
            return [record(Due, delivery, secret=secret) for delivery, secret in rows]

    def set_body(self, delivery_id: str, body: str) -> None:
        with self.db.write() as session:
            session.execute(update(DeliveryRow).where(DeliveryRow.id == delivery_id).values(body=body))

    def settle(
        self,
        delivery_id: str,
        *,
        status: str,
        attempts: int,
        http_status: int | None,
        error: str | None,
        retry_at: datetime | None = None,
    ) -> None:
        now = self.clock.now()
        values: dict[str, object] = {
            "status": status,
            "attempts": attempts,
            "last_status": http_status,
            "last_error": error,
        }
        if status == DELIVERED:
            values["delivered_at"] = now
        if retry_at is not None:
            values["next_attempt_at"] = retry_at
        with self.db.write() as session:
            session.execute(update(DeliveryRow).where(DeliveryRow.id == delivery_id).values(**values))

    def recent_of_key(self, key_id: str, limit: int) -> list[Delivery]:
        """This key's last deliveries, newest first."""
        with self.db.read() as session:
            query = select(DeliveryRow).where(DeliveryRow.key_id == key_id)
            query = query.order_by(DeliveryRow.created_at.desc(), DeliveryRow.id.desc()).limit(limit)
            return [delivery_of(row) for row in session.scalars(query)]

    def of_job(self, job_id: str) -> list[Delivery]:
        with self.db.read() as session:
            query = select(DeliveryRow).where(DeliveryRow.job_id == job_id)
            return [delivery_of(row) for row in session.scalars(query.order_by(DeliveryRow.created_at))]
