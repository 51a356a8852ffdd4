"""The one place that builds a process's services from the settings: `create_app`, `sfumato worker` and
the key commands all start here. Nothing is built at import time."""

import logging
import secrets
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from functools import partial
from typing import Any

from sfumato.config import Settings
from sfumato.db.client_options import ClientOptionsStore
from sfumato.db.database import AUTOCHECKPOINT_PAGES, Database
from sfumato.db.images import ImageStore
from sfumato.db.jobs import JobStore
from sfumato.db.keys import KeyStore
from sfumato.db.notify import JOB_ENDED, JOBS_QUEUED, Listener
from sfumato.db.outbox import WebhookOutbox
from sfumato.db.queue import JobQueue
from sfumato.db.secrets import shared_secret
from sfumato.db.usage import UsageStore
from sfumato.domain.clock import Clock, SystemClock
from sfumato.domain.errors import NotFound
from sfumato.domain.ids import random_seed
from sfumato.domain.keys import ApiKey
from sfumato.domain.plans import Limits
from sfumato.engine.base import Engine
from sfumato.imaging.inputs import InputLimits
from sfumato.services.checkpoints import checkpoint_every
from sfumato.services.client_options import ClientOptions
from sfumato.services.events import JobEvents
from sfumato.services.generation import GenerationService, JobView
from sfumato.services.images import ImageService
from sfumato.services.inputs import InputService
from sfumato.services.keys import KeyService
from sfumato.services.limits import RateLimiter
from sfumato.services.metrics import Metrics
from sfumato.services.retention import RetentionSweeper
from sfumato.services.startup import checked_policy, checked_storage, engine_options, open_database
from sfumato.services.status import ServiceStatus
from sfumato.services.usage import UsageService
from sfumato.services.webhooks import WebhookDispatcher
from sfumato.services.worker import Worker, WorkerOptions
from sfumato.storage import Storage

log = logging.getLogger(__name__)

# How a webhook's body shows its Job: as GET /v1/jobs/{id} does (the API hands this in).
JobJson = Callable[[JobView, str], dict[str, Any]]


@dataclass
class Services:
    settings: Settings
    db: Database
    storage: Storage
    clock: Clock
    queue: JobQueue
    events: JobEvents
    keys: KeyService
    generation: GenerationService
    images: ImageService
    worker: Worker | None
    outbox: WebhookOutbox
    limits: RateLimiter
    usage: UsageService
    retention: RetentionSweeper
    metrics: Metrics
    status: ServiceStatus
    client_options: ClientOptions
    session_secret: str = ""  # signs the dashboard's sessions (SFUMATO_SESSION_SECRET, or made and shared)
    listener: Listener | None = None  # PostgreSQL only: signals from the other processes
    dispatcher: WebhookDispatcher | None = None  # API processes: delivers the outbox's webhooks
    sweeper_db: Database | None = None  # SQLite API processes: the sweeper's handle (build_services)

    def start(self) -> None:
        """Start the threads: listening first, so no signal sent after the worker starts is missed."""
        if self.listener is not None:
            self.listener.start()
        if self.worker is not None:
            self.worker.start()

    def background(self) -> list[Coroutine[Any, Any, None]]:
        """What an API process runs on its event loop: webhook deliveries, the retention sweeper and, on
        SQLite, the WAL's checkpoints."""
        work = [self.retention.run_every(self.settings.sweep_seconds)]
        if self.dispatcher is not None:
            work.insert(0, self.dispatcher.run())
        if self.db.is_sqlite:
            work.append(checkpoint_every(self.db))
        return work

    def limits_of(self, key: ApiKey) -> Limits:
        return self.generation.limits_of(key)

    def readiness(self) -> dict[str, str]:
        """Each check's state; the service is ready when all are "ok"."""
        checks = {}
        try:
            self.db.ping()
            # The last write's outcome: a database that answers but takes no writes is not ready.
            checks["database"] = f"cannot write: {self.db.write_fault}" if self.db.write_fault else "ok"
        except Exception as error:
            checks["database"] = f"unreachable: {type(error).__name__}"
        checks["storage"] = f"cannot write: {self.storage.fault}" if self.storage.fault else "ok"
        if self.worker is None:
            checks["model"] = "ok"  # no worker here: the workers elsewhere answer for the model
        elif self.worker.error:
            checks["model"] = self.worker.error
        else:
            checks["model"] = "ok" if self.worker.ready.is_set() else "loading"
        return checks

    def close(self) -> None:
        if self.worker is not None:
            self.worker.stop()
        if self.listener is not None:
            self.listener.stop()
        if self.sweeper_db is not None:
            self.sweeper_db.dispose()
        self.db.dispose()


def default_engine_factory(settings: Settings) -> Callable[[], Engine]:
    def build() -> Engine:
        from sfumato.engine.registry import load_engine

        return load_engine(settings.model, engine_options(settings))

    return build


def key_service(settings: Settings, db: Database, clock: Clock) -> KeyService:
    return KeyService(KeyStore(db), clock, plans=settings.plans, default_plan=settings.default_plan)


def build_services(
    settings: Settings,
    *,
    with_worker: bool,
    clock: Clock | None = None,
    seeds: Callable[[], int] = random_seed,
    engine_factory: Callable[[], Engine] | None = None,
    job_json: JobJson | None = None,
) -> Services:
    """Connect, migrate, and wire the services; the worker, if any, is built but not started. With
    `job_json` (an API process), the webhook dispatcher too."""
    clock = clock or SystemClock()
    policy = checked_policy(settings)  # a bad file stops the start, before anything is opened
    # SQLite's checkpoints (docs/architecture.md, "Cost as the data grows"): in an API process (`job_json`)
    # no commit a client waits for takes one; the sweeper's commits do, through a handle of its own, after
    # they release the write lock, and a task (`background`) takes the rest.
    db = open_database(settings, autocheckpoint=0 if job_json else AUTOCHECKPOINT_PAGES)
    sweeper_db = Database(settings.database_url) if db.is_sqlite and job_json else None
    storage = checked_storage(settings)
    queue = JobQueue(db, clock, lease_seconds=settings.lease_seconds, max_attempts=settings.max_attempts)
    jobs, images = JobStore(db), ImageStore(db)
    events = JobEvents()
    metrics = Metrics(jobs, clock)
    worker = None
    if with_worker:
        worker = Worker(
            queue=queue,
            storage=storage,
            engine_factory=engine_factory or default_engine_factory(settings),
            clock=clock,
            options=WorkerOptions(
                retention_days=settings.retention_days,
                poll_seconds=settings.poll_seconds,
                batch_images=settings.batch_images,
                batch_wait_seconds=settings.batch_wait_ms / 1000,
                encode_threads=settings.encode_threads,
                png_compress_level=settings.png_compress_level,
            ),
            on_finished=events.publish,
            metrics=metrics,
        )
    limits = RateLimiter(
        clock, settings.redis_url or "memory://", auth_failures_per_minute=settings.auth_failures_per_minute
    )
    generation = GenerationService(
        db,
        jobs,
        queue,
        clock,
        events,
        served=[settings.model],
        max_queued=settings.max_queued_jobs,
        poll_seconds=settings.poll_seconds,
        seeds=seeds,
        storage=storage,
        inputs=InputService(
            images, storage, clock, InputLimits(settings.max_input_bytes, settings.max_input_pixels)
        ),
        limits_of=partial(Limits.of, plans=settings.plans),
        policy=policy,
        webhooks_allow_private=settings.webhooks_allow_private,
        on_submit=worker.wake if worker is not None else lambda: None,
        unavailable=(lambda: worker.error) if worker is not None else lambda: None,
    )
    outbox = WebhookOutbox(db, clock)
    dispatcher = None
    if job_json is not None:
        dispatcher = webhook_dispatcher(settings, outbox, generation, clock, metrics, job_json)
    return Services(
        listener=_listener(db, events, worker),
        settings=settings,
        db=db,
        storage=storage,
        clock=clock,
        queue=queue,
        events=events,
        keys=key_service(settings, db, clock),
        generation=generation,
        images=ImageService(
            images,
            storage,
            clock,
            retention_days=settings.retention_days,
            delivery=settings.image_delivery,
            public_url=settings.storage_public_url,
            presign_seconds=settings.presign_seconds,
            limits_of=generation.limits_of,
            png_compress_level=settings.png_compress_level,
        ),
        worker=worker,
        outbox=outbox,
        limits=limits,
        usage=UsageService(UsageStore(db), clock, limits, limits_of=generation.limits_of),
        retention=RetentionSweeper(
            ImageStore(sweeper_db or db),
            JobStore(sweeper_db or db),
            storage,
            clock,
            retention_days=settings.retention_days,
        ),
        metrics=metrics,
        status=ServiceStatus(jobs, images, clock),
        client_options=ClientOptions(ClientOptionsStore(db), clock),
        dispatcher=dispatcher,
        sweeper_db=sweeper_db,
        session_secret=settings.session_secret
        or shared_secret(db, clock, "session", lambda: secrets.token_urlsafe(32)),
    )


def _listener(db: Database, events: JobEvents, worker: Worker | None) -> Listener | None:
    """PostgreSQL: the signals of the other processes wake this one's waiters, and its worker."""
    if db.is_sqlite:
        return None
    handlers: dict[str, Callable[[str], None]] = {JOB_ENDED: events.publish}
    if worker is None:
        return Listener(db, handlers)
    wake = worker.wake
    handlers[JOBS_QUEUED] = lambda _payload: wake()
    return Listener(db, handlers, on_reconnect=wake)  # what was queued meanwhile


def webhook_dispatcher(
    settings: Settings,
    outbox: WebhookOutbox,
    generation: GenerationService,
    clock: Clock,
    metrics: Metrics,
    job_json: JobJson,
) -> WebhookDispatcher:
    """The dispatcher of an API process; it renders each event's Job as GET /v1/jobs/{id} shows it."""
    base_url = settings.public_base_url or f"http://{settings.host}:{settings.port}"

    def render(job_id: str, key_id: str) -> dict[str, Any] | None:
        try:
            return job_json(generation.view(key_id, job_id), base_url)
        except NotFound:
            return None

    return WebhookDispatcher(
        outbox,
        clock,
        render=render,
        allow_private=settings.webhooks_allow_private,
        poll_seconds=settings.poll_seconds,
        metrics=metrics,
    )
