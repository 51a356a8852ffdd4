"""Submitting work, reading and canceling jobs, and waiting for one to end."""

import asyncio
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext, suppress
from dataclasses import replace
from typing import Any

import anyio

from sfumato.db import idempotency as remembered
from sfumato.db import places, usage
from sfumato.db.database import Database, Transaction, WriteConflict
from sfumato.db.jobs import JobStore
from sfumato.db.places import QueuePlaces
from sfumato.db.queue import JobQueue
from sfumato.domain.catalogue import Catalogue
from sfumato.domain.clock import Clock
from sfumato.domain.content_policy import ContentPolicy
from sfumato.domain.errors import (
    InvalidParameter,
    ModelUnavailable,
    NotFound,
    Overloaded,
    QueueFull,
)
from sfumato.domain.generation import GenerationRequest
from sfumato.domain.idempotency import Idempotency
from sfumato.domain.ids import new_id
from sfumato.domain.jobs import Job, JobStatus
from sfumato.domain.keys import ApiKey
from sfumato.domain.loras import Adapter, LoraUse
from sfumato.domain.models import ModelSpec
from sfumato.domain.pages import Page
from sfumato.domain.params import JobParams
from sfumato.domain.plans import Limits, month_of, quota_exceeded
from sfumato.domain.search import terms_of
from sfumato.services.events import JobEvents
from sfumato.services.inputs import InputService
from sfumato.services.places import PlaceService
from sfumato.services.queue_bound import QueueBound
from sfumato.services.replays import replay
from sfumato.services.views import JobView
from sfumato.storage import Storage
from sfumato.webhooks.guard import check_url

# A request's `loras` resolved for its key and model (services.loras.LoraService.resolve).
Resolver = Callable[[ApiKey, Sequence[LoraUse] | None, ModelSpec, Limits], tuple[Adapter, ...]]


class _TwinCommitted(Exception):
    """Inside submit's transaction: an identical request with the same key committed first."""


class _KeyQueueFull(Exception):
    """Inside submit's transaction: the key has as many jobs queued as it may."""


class GenerationService:
    def __init__(
        self,
        db: Database,
        jobs: JobStore,
        queue: JobQueue,
        clock: Clock,
        events: JobEvents,
        *,
        served: Sequence[str],
        max_queued: int,
        poll_seconds: float,
        seeds: Callable[[], int],
        storage: Storage,
        inputs: InputService,
        limits_of: Callable[[ApiKey], Limits],
        policy: ContentPolicy | None = None,
        webhooks_allow_private: bool = False,
        on_submit: Callable[[], None] = lambda: None,
        unavailable: Callable[[], str | None] = lambda: None,
        catalogue: Mapping[str, ModelSpec] | None = None,
        loras: Resolver | None = None,
        waiting: Callable[[str], str | None] = lambda model: None,
    ) -> None:
        self.db = db
        self.jobs = jobs
        self.queue = queue
        self.clock = clock
        self.events = events
        self.served = tuple(served)  # this process's models (its worker's, or the fleet's default first)
        self.catalogue = catalogue if catalogue is not None else Catalogue()
        self.max_queued = max_queued
        self.bound = QueueBound(queue, max_queued)
        self.poll_seconds = poll_seconds
        self.seeds = seeds
        self.storage = storage
        self.inputs = inputs
        self.limits_of = limits_of
        self.policy = policy or ContentPolicy()
        self.webhooks_allow_private = webhooks_allow_private
        self.on_submit = on_submit
        self.unavailable = unavailable  # why this process's own worker cannot generate, if it cannot
        self.loras = loras
        self.places = PlaceService(QueuePlaces(db), clock)
        self.waiting = waiting  # why a queued job of a model waits beyond its turn (services.fleet)
        # Submissions writing at once (Database.writers_at_once): the others wait here, off the GIL.
        most = db.writers_at_once
        self._writing: AbstractContextManager[Any] = nullcontext()
        if most is not None:
            self._writing = threading.BoundedSemaphore(most)

    def submit(
        self,
        key: ApiKey,
        request: GenerationRequest,
        idempotency: Idempotency | None = None,
        *,
        alpha_mask: bool = False,
        ignored_images: int = 0,
    ) -> JobView:
        """Queue a job and charge its images to the key's month, in one transaction; with an
        idempotency key seen before, the job that key created (`replayed`), charged nothing more.

        An input picture is read and checked first (services.inputs: `alpha_mask` lets a transparent one
        be its own mask), and stored beside the job before the job is queued; a request refused after
        that removes it again, so a refused request stores nothing."""
        if idempotency is not None and (earlier := replay(self.db, self.clock, key, idempotency)) is not None:
            return earlier
        model = request.model or self.served[0]
        spec = self.catalogue.get(model)
        if spec is None:  # one in the catalogue that no worker here serves is queued for a worker that does
            raise InvalidParameter(
                f"model {model!r} is not in the catalogue; available: {', '.join(self.catalogue)}",
                param="model",
            )
        limits = self.limits_of(key)
        limits.check_request(request.n, request.priority, model)
        self.policy.check(request.prompt)
        if request.loras and self.loras is None:
            raise InvalidParameter("this server takes no LoRA adapters", param="loras")
        adapters = self.loras(key, request.loras, spec, limits) if self.loras is not None else ()
        inputs = None
        if request.image is not None:
            inputs = self.inputs.read(
                key, request.image, request.mask, alpha_mask=alpha_mask, ignored=ignored_images
            )
        params = request.resolve(spec, self.seeds(), inputs.summary if inputs else None, adapters)
        if params.webhook_url is not None:  # resolves the host: this runs off the event loop
            check_url(params.webhook_url, allow_private=self.webhooks_allow_private)
        if model in self.served and (reason := self.unavailable()):
            raise ModelUnavailable(reason)
        if self.bound.full():
            raise Overloaded("too many jobs are waiting; try again shortly", retry_after=10)
        job_id = new_id("job")
        if inputs is not None:
            params = self.inputs.store(job_id, params, inputs)
        try:
            with self._writing:
                job = self._enqueue(key, job_id, params, limits, idempotency)
                place = self.places.place_of(job)
        except BaseException as error:
            if inputs is not None:
                self.inputs.discard(job_id)
            if isinstance(error, _KeyQueueFull):  # nothing was stored or charged
                raise QueueFull(
                    f"this key has {limits.max_queued} jobs queued, the most it may; send more as they start",
                    retry_after=self.places.retry_after(key.id),
                ) from None
            if not isinstance(error, _TwinCommitted | WriteConflict):
                raise
            # A concurrent twin holds the key now (PostgreSQL: its insert won the unique key).
            assert idempotency is not None
            if (earlier := replay(self.db, self.clock, key, idempotency)) is None:
                raise
            return earlier
        self.bound.added()
        self.on_submit()
        return self._seen(JobView(job, [], place=place))

    def _enqueue(
        self, key: ApiKey, job_id: str, params: JobParams, limits: Limits, idempotency: Idempotency | None
    ) -> Job:
        """The job, its quota charge and its idempotency key, in one transaction. The job's row is built
        before it opens: on SQLite the transaction holds the one write lock every submission waits for."""
        now = self.clock.now()
        month = month_of(now)  # the month its images count in is the one it was queued in
        new = self.queue.new(job_id, key.id, params, month, created_at=now)
        with self.db.write() as tx:
            if idempotency is not None and replay(self.db, self.clock, key, idempotency, tx) is not None:
                raise _TwinCommitted()  # a twin committed first
            self._charge(tx, key, limits, params.n, month)
            # After the charge, whose row lock makes a key's submissions take turns: the count is exact.
            if limits.max_queued is not None and places.queued_of(tx, key.id) >= limits.max_queued:
                raise _KeyQueueFull()
            job = self.queue.put(tx, new, weight=limits.queue_weight)
            if idempotency is not None:
                remembered.remember(
                    tx, key.id, idempotency.key, idempotency.fingerprint, job.id, self.clock.now()
                )
        return job

    def _charge(self, tx: Transaction, key: ApiKey, limits: Limits, images: int, month: str) -> None:
        """Count the job's images in `month` (UTC); QuotaExceeded if they would pass the quota."""
        if not usage.charge(tx, key.id, month, images, limits.monthly_images):
            now = self.clock.now()
            raise quota_exceeded(limits.monthly_images, usage.used(tx, key.id, month), images, now)

    def input_of(self, key: ApiKey, job_id: str, *, mask: bool = False) -> bytes:
        """The picture a job was made from (or its mask), as stored beside it: PNG at the job's size."""
        params = self.get(key, job_id).job.params
        stored = params.mask_key if mask else params.input_key
        try:
            if stored is not None:
                return self.storage.get(stored)
        except FileNotFoundError:
            pass
        raise NotFound(f"job {job_id!r} has no {'mask' if mask else 'input image'}")

    def get(self, key: ApiKey, job_id: str) -> JobView:
        return self.view(key.id, job_id)

    def view(self, key_id: str, job_id: str) -> JobView:
        """The job; while it is queued, with its place (services.places)."""
        found = self.jobs.get(key_id, job_id, self.clock.now())
        if found is None:
            raise NotFound(f"no job {job_id!r}")
        job, images = found
        return self._seen(JobView(job, images, place=self.places.place_of(job)))

    def _seen(self, view: JobView) -> JobView:
        """A queued job says so when no live worker serves its model (it waits for one to start)."""
        if view.job.status is not JobStatus.QUEUED:
            return view
        waiting = self.waiting(view.job.params.model)
        return replace(view, waiting=waiting) if waiting else view

    def list_jobs(
        self,
        key: ApiKey,
        *,
        limit: int,
        after: str | None,
        status: JobStatus | None,
        model: str | None = None,
        search: str = "",
    ) -> Page[JobView]:
        """A page of the key's jobs, newest first; with `search`, those whose prompt or name holds each of
        its words (domain.search)."""
        page = self.jobs.page(
            key.id,
            self.clock.now(),
            status=status,
            limit=limit,
            after=after,
            model=model,
            terms=terms_of(search),
        )
        views = [self._seen(JobView.of(found)) for found in page.items]
        return Page(views, page.has_more, page.next_cursor)

    def active(self, key: ApiKey) -> list[Job]:
        """This key's jobs that have not ended: the running ones first, then the queued, oldest first."""
        return self.jobs.active(key.id)

    def interrupt(self, key: ApiKey) -> list[str]:
        """Cancel this key's running jobs (AUTOMATIC1111's interrupt); the ids canceled."""
        canceled = []
        for job in self.jobs.active(key.id):
            if job.status == JobStatus.PROCESSING and self.queue.cancel(job.id, key.id):
                self.events.publish(job.id)
                canceled.append(job.id)
        return canceled

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

    async def wait(self, key: ApiKey, job_id: str, seconds: float, *, end_on_drain: bool = False) -> JobView:
        """The job once it has ended, or as it stands after `seconds`; with `end_on_drain` (a long poll), also
        as it stands once the process is stopping (JobEvents.drain)."""
        deadline = time.monotonic() + seconds
        while True:
            with self.events.subscribe(job_id) as ended:
                view = await anyio.to_thread.run_sync(self.get, key, job_id)
                remaining = deadline - time.monotonic()
                if view.status.is_terminal() or remaining <= 0 or (end_on_drain and self.events.draining):
                    return view
                # Woken by the in-process worker at once; a worker elsewhere is seen at the next look.
                with suppress(TimeoutError):
                    await asyncio.wait_for(ended.wait(), min(remaining, self.poll_seconds))
