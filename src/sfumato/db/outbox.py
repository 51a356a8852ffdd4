"""The webhook outbox (API.md §10): rows written with the job's end, claimed and settled by dispatchers.

A row is claimed by pushing its `next_attempt_at` one lease ahead, so a dispatcher that dies mid-send
leaves it to be tried again; several dispatchers never send one attempt twice at the same time.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, select, update
from sqlalchemy.orm import Session

from sfumato.db.database import Database
from sfumato.db.tables import ApiKey, Job, WebhookDelivery
from sfumato.domain.clock import Clock
from sfumato.domain.ids import new_id

PENDING, DELIVERED, FAILED, GONE = "pending", "delivered", "failed", "gone"


# What the UPDATE that ends jobs returns, so their deliveries and refunds need no second query.
ENDED = (Job.id, Job.key_id, Job.params, Job.n, Job.charged_month)


def enqueue_events(session: Session, clock: Clock, ended: Iterable[Row[Any]], event: str) -> None:
    """In the caller's transaction, the one that ends the jobs (rows of ENDED): a delivery per job
    with a webhook_url."""
    now = clock.now()
    for row in ended:
        job_id, key_id, params = row.id, row.key_id, row.params
        if url := params.get("webhook_url"):
            session.add(
                WebhookDelivery(
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
        due = (WebhookDelivery.status == PENDING, WebhookDelivery.next_attempt_at <= now)
        with self.db.read() as session:  # the common case, nothing due, takes no write lock
            if session.scalar(select(WebhookDelivery.id).where(*due).limit(1)) is None:
                return []
        with self.db.write() as session:
            rows = session.execute(
                select(WebhookDelivery, ApiKey.webhook_secret)
                .join(ApiKey, ApiKey.id == WebhookDelivery.key_id)
                .where(*due)
                .order_by(WebhookDelivery.next_attempt_at)
                .limit(limit)
                .with_for_update(skip_locked=True, of=WebhookDelivery)
            ).all()
            if not rows:
                return []
            ids = [delivery.id for delivery, _ in rows]
            session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id.in_(ids))
                .values(next_attempt_at=now + self.lease)
            )
            return [
                Due(d.id, d.key_id, d.job_id, d.url, d.event, d.body, d.attempts, d.created_at, secret)
                for d, secret in rows
            ]

    def set_body(self, delivery_id: str, body: str) -> None:
        with self.db.write() as session:
            session.execute(
                update(WebhookDelivery).where(WebhookDelivery.id == delivery_id).values(body=body)
            )

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
            session.execute(update(WebhookDelivery).where(WebhookDelivery.id == delivery_id).values(**values))

    def of_job(self, job_id: str) -> list[WebhookDelivery]:
        with self.db.read() as session:
            query = select(WebhookDelivery).where(WebhookDelivery.job_id == job_id)
            return list(session.scalars(query.order_by(WebhookDelivery.created_at)))
