"""Retention (docs/plans.md, "Retention"): images expire SFUMATO_RETENTION_DAYS after they are made, then go.

An expired image is hidden at once (every lookup asks `expires_at > now`: its key, its published
URL and its access URL all answer 404). The sweeper then deletes its file and its row, and once a
job that ended has no images left and is older than the retention, the job with its webhook
deliveries and idempotency keys.

Several processes may sweep at once: each deletion is idempotent (a missing file is no error, a row
deleted by another sweeper counts nothing), and the file goes before the row, so a sweeper that dies
between the two leaves a row the next sweep finishes, never a file no row points to.
"""

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

import anyio

from sfumato.db.images import ImageStore
from sfumato.db.jobs import JobStore
from sfumato.domain.clock import Clock
from sfumato.storage import Storage

log = logging.getLogger(__name__)
BATCH = 200  # deletions a step at most: each step is one short write transaction
STEP_SECONDS = 0.02  # how long a step's write should take: on SQLite, about the longest a submission waits
FEWEST = 10  # deletions a step at least, however slow the steps
# The shortest rest between two steps. SQLite's busy handler makes a waiting writer sleep 1, 2, 5, 10, 15, 20,
# then 25 ms between its tries: a rest shorter than its sleep would let it miss the lock's free time.
REST_SECONDS = 0.03


@dataclass(frozen=True)
class Swept:
    images: int
    jobs: int


@dataclass
class _Place:
    """Where one phase of a sweep has read to, in the order it reads (expiry or creation, then id): the next
    step reads on from just after it, so that the database never walks again over what the steps before
    deleted. A row that comes to be behind it while the sweep runs is the next sweep's."""

    last: tuple[datetime, str] | None = None


class RetentionSweeper:
    def __init__(
        self,
        images: ImageStore,
        jobs: JobStore,
        storage: Storage,
        clock: Clock,
        *,
        retention_days: int,
        batch: int = BATCH,
        step_seconds: float = STEP_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.images = images
        self.jobs = jobs
        self.storage = storage
        self.clock = clock
        self.retention = timedelta(days=retention_days)
        self.batch = batch
        self.step_seconds = step_seconds
        self._sleep, self._monotonic = sleep, monotonic  # the tests' to replace

    async def run_every(self, seconds: float) -> None:
        """Sweep every `seconds`, the first time at once; every API process does it (safe: see above)."""
        while True:
            try:
                await anyio.to_thread.run_sync(self.sweep)
            except Exception:
                log.exception("retention sweep failed; trying again at the next one")
            await asyncio.sleep(seconds)

    def sweep(self) -> Swept:
        """Delete everything expired now; returns what this call deleted (not another sweeper)."""
        images = self._drain(partial(self._images, _Place()))
        jobs = self._drain(partial(self._jobs, _Place()))
        if images or jobs:
            log.info("retention: deleted %d expired images and %d old jobs", images, jobs)
        return Swept(images, jobs)

    def _drain(self, step: Callable[[int], tuple[int, float, bool]]) -> int:
        """Run steps until one reads the end of what there is to delete. Each step asks for as many rows as
        its write transaction should take `step_seconds` to delete, judged by the last one's (at most
        `batch`, at least FEWEST): a large table's slow deletions make smaller transactions, not longer
        ones. Between two steps the sweeper rests as long as the last write took: on SQLite a submission
        waiting for the write lock (its busy handler tries again every few ms) gets in before the next
        step, instead of behind a whole backlog."""
        total, asked = 0, self.batch
        while True:
            done, took, more = step(asked)
            total += done
            if not more:
                return total
            self._sleep(max(took, REST_SECONDS))
            asked = self._next(asked, took)

    def _next(self, asked: int, took: float) -> int:
        if took > self.step_seconds:
            return max(min(FEWEST, self.batch), round(asked * self.step_seconds / took))
        if took < self.step_seconds / 2:
            return min(self.batch, asked * 2)
        return asked

    def _timed(self, write: Callable[[], int], more: bool) -> tuple[int, float, bool]:
        began = self._monotonic()
        done = write()
        return done, self._monotonic() - began, more

    def _images(self, place: _Place, limit: int) -> tuple[int, float, bool]:
        now = self.clock.now()
        expired = self.images.expired(now, limit, place.last)
        if not expired:
            return 0, 0.0, False
        place.last = (expired[-1][2], expired[-1][0])
        for _, key, _ in expired:
            self.storage.delete(key)  # first: a crash here leaves the row for the next sweep
        ids = [image_id for image_id, _, _ in expired]
        return self._timed(lambda: self.images.delete_expired(ids, now), len(expired) == limit)

    def _jobs(self, place: _Place, limit: int) -> tuple[int, float, bool]:
        """Ended jobs older than the retention, with no image left and no webhook still to send."""
        before = self.clock.now() - self.retention
        window = self.jobs.sweepable(before, limit, place.last)
        place.last = window.last
        for job_id in window.sweepable:
            self.storage.delete_prefix(job_id)  # leftovers of attempts that never got a row
        if not window.sweepable:
            return 0, 0.0, window.last is not None
        return self._timed(lambda: self.jobs.purge(window.sweepable, before), window.last is not None)
