"""Retention (API.md §9): images expire SFUMATO_RETENTION_DAYS after they are made, then go.

An expired image is hidden at once (every lookup asks `expires_at > now`: its key, its published
URL and its access URL all answer 404). The sweeper then deletes its file and its row, and once a
job that ended has no images left and is older than the retention, the job with its webhook
deliveries and idempotency keys.

Several processes may sweep at once: each deletion is idempotent (a missing file is no error, a row
deleted by another sweeper counts nothing), and the file goes before the row, so a sweeper that dies
between the two leaves a row the next sweep finishes, never a file no row points to.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, exists, select

from sfumato.db.database import Database
from sfumato.db.outbox import PENDING
from sfumato.db.tables import IdempotencyKey, Image, Job, WebhookDelivery
from sfumato.domain.clock import Clock
from sfumato.domain.jobs import TERMINAL
from sfumato.storage import Storage

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Swept:
    images: int
    jobs: int


class RetentionSweeper:
    def __init__(
        self, db: Database, storage: Storage, clock: Clock, *, retention_days: int, batch: int = 200
    ) -> None:
        self.db = db
        self.storage = storage
        self.clock = clock
        self.retention = timedelta(days=retention_days)
        self.batch = batch

    def sweep(self) -> Swept:
        """Delete everything expired now; returns what this call deleted (not another sweeper)."""
        images, jobs = self._drain(self._images), self._drain(self._jobs)
        if images or jobs:
            log.info("retention: deleted %d expired images and %d old jobs", images, jobs)
        return Swept(images, jobs)

    def _drain(self, step: Callable[[], int]) -> int:
        """Run a step of at most `batch` deletions until one deletes fewer."""
        total = 0
        while (done := step()) >= self.batch:
            total += done
        return total + done

    def _images(self) -> int:
        now = self.clock.now()
        with self.db.read() as session:
            expired = session.execute(
                select(Image.id, Image.storage_key).where(Image.expires_at <= now).limit(self.batch)
            ).all()
        if not expired:
            return 0
        for row in expired:
            self.storage.delete(row.storage_key)  # first: a crash here leaves the row for the next sweep
        with self.db.write() as session:
            result = session.execute(
                delete(Image).where(Image.id.in_([row.id for row in expired]), Image.expires_at <= now)
            )
            return int(result.rowcount)  # type: ignore[attr-defined]

    def _jobs(self) -> int:
        """Ended jobs older than the retention, with no image left and no webhook still to send."""
        old_and_empty = (
            Job.status.in_(TERMINAL),
            Job.created_at <= self.clock.now() - self.retention,
            ~exists().where(Image.job_id == Job.id),
            ~exists().where(WebhookDelivery.job_id == Job.id, WebhookDelivery.status == PENDING),
        )
        with self.db.read() as session:
            ids = list(session.scalars(select(Job.id).where(*old_and_empty).limit(self.batch)))
        if not ids:
            return 0
        for job_id in ids:
            self.storage.delete_prefix(job_id)  # leftovers of attempts that never got a row
        with self.db.write() as session:
            ids = list(session.scalars(select(Job.id).where(Job.id.in_(ids), *old_and_empty)))
            session.execute(delete(WebhookDelivery).where(WebhookDelivery.job_id.in_(ids)))
            session.execute(delete(IdempotencyKey).where(IdempotencyKey.job_id.in_(ids)))
            result = session.execute(delete(Job).where(Job.id.in_(ids)))
            return int(result.rowcount)  # type: ignore[attr-defined]
