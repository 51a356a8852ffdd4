"""Submitting work, reading and canceling jobs, and waiting for one to end."""

import asyncio
import math
import time
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass

import anyio
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sfumato.db import usage
from sfumato.db.database import Database
from sfumato.db.queue import JobQueue
from sfumato.db.tables import ApiKey, IdempotencyKey, Image, Job
from sfumato.domain.clock import Clock
from sfumato.domain.content_policy import ContentPolicy
from sfumato.domain.errors import (
    Conflict,
    InvalidParameter,
    ModelUnavailable,
    NotFound,
    Overloaded,
    PlanForbidden,
    QuotaExceeded,
)
from sfumato.domain.generation import GenerationRequest
from sfumato.domain.idempotency import KEPT_FOR, Idempotency
from sfumato.domain.ids import new_id
from sfumato.domain.jobs import JobStatus
from sfumato.domain.models import MODELS
from sfumato.domain.plans import Limits, month_bounds, month_of
from sfumato.services.events import JobEvents
from sfumato.services.pagination import Page, paginate
from sfumato.storage import Storage
from sfumato.webhooks.guard import check_url


class _Raced(Exception):
    """Inside submit's transaction: an identical request with the same key committed first."""


@dataclass(frozen=True)
class JobView:
    job: Job
    images: list[Image]
    replayed: bool = False  # found by its Idempotency-Key, not created now

    @property
    def status(self) -> JobStatus:
        return JobStatus(self.job.status)


class GenerationService:
    def __init__(
        self,
        db: Database,
        queue: JobQueue,
        clock: Clock,
        events: JobEvents,
        *,
        served: Sequence[str],
        max_queued: int,
        poll_seconds: float,
        seeds: Callable[[], int],
        storage: Storage,
        limits_of: Callable[[ApiKey], Limits],
        policy: ContentPolicy | None = None,
        webhooks_allow_private: bool = False,
        on_submit: Callable[[], None] = lambda: None,
        unavailable: Callable[[], str | None] = lambda: None,
    ) -> None:
        self.db = db
        self.queue = queue
        self.clock = clock
        self.events = events
        self.served = tuple(served)
        self.max_queued = max_queued
        self.poll_seconds = poll_seconds
        self.seeds = seeds
        self.storage = storage
        self.limits_of = limits_of
        self.policy = policy or ContentPolicy()
        self.webhooks_allow_private = webhooks_allow_private
        self.on_submit = on_submit
        self.unavailable = unavailable  # why this process's own worker cannot generate, if it cannot

    def submit(
        self, key: ApiKey, request: GenerationRequest, idempotency: Idempotency | None = None
    ) -> JobView:
        """Queue a job and charge its images to the key's month, in one transaction; with an
        idempotency key seen before, the job that key created (`replayed`), charged nothing more."""
        if idempotency is not None and (earlier := self._replay(key, idempotency)) is not None:
            return earlier
        model = request.model or self.served[0]
        if model not in self.served:
            raise InvalidParameter(
                f"model {model!r} is not served here; available: {', '.join(self.served)}", param="model"
            )
        limits = self.limits_of(key)
        if request.n > limits.max_images_per_request:
            raise PlanForbidden(
                f"the {limits.plan} plan allows at most {limits.max_images_per_request} "
                f"image{'s' if limits.max_images_per_request > 1 else ''} a request",
                param="n",
            )
        self.policy.check(request.prompt)
        params = request.resolve(MODELS[model], self.seeds())
        if params.webhook_url is not None:  # resolves the host: this runs off the event loop
            check_url(params.webhook_url, allow_private=self.webhooks_allow_private)
        if reason := self.unavailable():
            raise ModelUnavailable(reason)
        if self.queue.depth() >= self.max_queued:
            raise Overloaded("too many jobs are waiting; try again shortly", retry_after=10)
        try:
            with self.db.write() as session:
                if idempotency is not None and self._replay(key, idempotency, session) is not None:
                    raise _Raced()  # a twin committed first
                month = self._charge(session, key, limits, params.n)
                job = self.queue.add(
                    session, job_id=new_id("job"), key_id=key.id, params=params, charged_month=month
                )
                if idempotency is not None:
                    session.add(
                        IdempotencyKey(
                            key_id=key.id,
                            idempotency_key=idempotency.key,
                            fingerprint=idempotency.fingerprint,
                            job_id=job.id,
                            created_at=self.clock.now(),
                        )
                    )
        except (_Raced, IntegrityError):
            # A concurrent twin holds the key now (PostgreSQL: its insert won the unique key).
            assert idempotency is not None
            if (earlier := self._replay(key, idempotency)) is None:
                raise
            return earlier
        self.on_submit()
        return JobView(job, [])

    def _charge(self, session: Session, key: ApiKey, limits: Limits, images: int) -> str:
        """Count the job's images in this month (UTC); QuotaExceeded if they would pass the quota."""
        now = self.clock.now()
        month = month_of(now)
        if not usage.charge(session, key.id, month, images, limits.monthly_images):
            next_month = month_bounds(now)[1]
            left = max(0, (limits.monthly_images or 0) - usage.used(session, key.id, month))
            raise QuotaExceeded(
                f"this key's {limits.monthly_images} images for {month} are spent "
                f"({left} left, {images} asked); the quota renews on {next_month:%Y-%m-%d} (UTC)",
                retry_after=max(1, math.ceil((next_month - now).total_seconds())),
            )
        return month

    def _replay(
        self, key: ApiKey, idempotency: Idempotency, session: Session | None = None
    ) -> JobView | None:
        """The job an earlier request with this key created; 409 if that request was another one."""
        if session is None:
            with self.db.read() as own:
                return self._replay(key, idempotency, own)
        row = session.get(IdempotencyKey, (key.id, idempotency.key))
        if row is None or row.created_at <= self.clock.now() - KEPT_FOR:
            if row is not None:
                session.delete(row)  # expired: the key is free again (only inside a write)
                session.flush()
            return None
        if row.fingerprint != idempotency.fingerprint:
            raise Conflict(
                "this Idempotency-Key was already used with another request",
                param="Idempotency-Key",
                code="idempotency_key_reused",
            )
        job = session.get(Job, row.job_id)
        if job is None:  # the job was deleted since: the key is free again
            session.delete(row)
            session.flush()
            return None
        return JobView(job, self._images(session, [job.id]).get(job.id, []), replayed=True)

    def get(self, key: ApiKey, job_id: str) -> JobView:
        return self.view(key.id, job_id)

    def view(self, key_id: str, job_id: str) -> JobView:
        with self.db.read() as session:
            job = session.scalar(select(Job).where(Job.id == job_id, Job.key_id == key_id))
            if job is None:
                raise NotFound(f"no job {job_id!r}")
            return JobView(job, self._images(session, [job_id]).get(job_id, []))

    def list_jobs(
        self, key: ApiKey, *, limit: int, after: str | None, status: JobStatus | None
    ) -> Page[JobView]:
        query = select(Job).where(Job.key_id == key.id)
        if status is not None:
            query = query.where(Job.status == status)
        with self.db.read() as session:
            page = paginate(session, query, Job, limit=limit, after=after)
            images = self._images(session, [job.id for job in page.items])
        views = [JobView(job, images.get(job.id, [])) for job in page.items]
        return Page(views, page.has_more, page.next_cursor)

    def delete(self, key: ApiKey, job_id: str) -> None:
        """Remove a job and its images, files included; a running job stops at its next step."""
        if not self.queue.delete(job_id, key.id):
            raise NotFound(f"no job {job_id!r}")
        self.events.publish(job_id)  # waiters on it learn it is gone
        # The rows go first: a crash between the two leaves unreferenced files, never a row without one.
        self.storage.delete_prefix(job_id)

    def cancel(self, key: ApiKey, job_id: str) -> JobView:
        """Cancel a queued or running job; a job that has already ended is returned as it is."""
        if self.queue.cancel(job_id, key.id):
            self.events.publish(job_id)
        return self.get(key, job_id)

    async def wait(self, key: ApiKey, job_id: str, seconds: float) -> JobView:
        """The job once it has ended, or as it stands after `seconds`."""
        deadline = time.monotonic() + seconds
        while True:
            with self.events.subscribe(job_id) as ended:
                view = await anyio.to_thread.run_sync(self.get, key, job_id)
                remaining = deadline - time.monotonic()
                if view.status.is_terminal() or remaining <= 0:
                    return view
                # Woken by the in-process worker at once; a worker elsewhere is seen at the next look.
                with suppress(TimeoutError):
                    await asyncio.wait_for(ended.wait(), min(remaining, self.poll_seconds))

    def _images(self, session: Session, job_ids: list[str]) -> dict[str, list[Image]]:
        """The jobs' images that still exist: deleted and expired ones are gone from the job too."""
        found: dict[str, list[Image]] = {}
        if job_ids:
            query = (
                select(Image)
                .where(
                    Image.job_id.in_(job_ids),
                    Image.job_index.is_not(None),  # its n generated images, not transforms of them
                    Image.expires_at > self.clock.now(),
                )
                .order_by(Image.job_id, Image.job_index)
            )
            for image in session.scalars(query):
                found.setdefault(image.job_id or "", []).append(image)
        return found
