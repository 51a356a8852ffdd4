"""Builds the services from settings: what `create_app` and `sfumato worker` start with."""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from sfumato.config import Settings
from sfumato.db.database import Database
from sfumato.db.migrate import upgrade
from sfumato.db.notify import JOB_ENDED, JOBS_QUEUED, Listener
from sfumato.db.outbox import WebhookOutbox
from sfumato.db.queue import JobQueue
from sfumato.db.tables import ApiKey
from sfumato.domain.clock import Clock, SystemClock
from sfumato.domain.content_policy import ContentPolicy, read_rules
from sfumato.domain.ids import random_seed
from sfumato.domain.plans import Limits
from sfumato.engine.base import Engine
from sfumato.services.events import JobEvents
from sfumato.services.generation import GenerationService
from sfumato.services.images import ImageService
from sfumato.services.keys import KeyService
from sfumato.services.limits import RateLimiter
from sfumato.services.metrics import Metrics
from sfumato.services.retention import RetentionSweeper
from sfumato.services.usage import UsageService
from sfumato.services.worker import Worker
from sfumato.storage import Storage, open_storage

log = logging.getLogger(__name__)


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
    listener: Listener | None = None  # PostgreSQL only: signals from the other processes

    def start(self) -> None:
        """Start the threads: listening first, so no signal sent after the worker starts is missed."""
        if self.listener is not None:
            self.listener.start()
        if self.worker is not None:
            self.worker.start()

    def limits_of(self, key: ApiKey) -> Limits:
        return self.generation.limits_of(key)

    def readiness(self) -> dict[str, str]:
        """Each check's state; the service is ready when all are "ok"."""
        checks = {}
        try:
            self.db.ping()
            checks["database"] = "ok"
        except Exception as error:
            checks["database"] = f"unreachable: {type(error).__name__}"
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
        self.db.dispose()


def default_engine_factory(settings: Settings) -> Callable[[], Engine]:
    def build() -> Engine:
        from sfumato.engine.registry import load_engine

        return load_engine(settings.model, settings)

    return build


def content_policy(settings: Settings) -> ContentPolicy:
    """The shipped list (or the operator's file instead), plus SFUMATO_BLOCKED_TERMS."""
    rules: list[str] = []
    source = settings.content_policy_file.strip()
    if not source:
        rules += ContentPolicy.shipped_rules()
    elif source.lower() != "none":
        try:
            with open(source, encoding="utf-8") as file:
                rules += read_rules(file)
        except OSError as error:
            raise ValueError(f"SFUMATO_CONTENT_POLICY_FILE: cannot read {source}: {error.strerror}") from None
    rules += [term.strip() for term in settings.blocked_terms.split(",") if term.strip()]
    return ContentPolicy.of(rules)


def storage_of(settings: Settings) -> Storage:
    """The storage SFUMATO_STORAGE_URL names, with the SFUMATO_S3_* settings for s3:// URLs."""
    return open_storage(
        settings.storage_url,
        endpoint_url=settings.s3_endpoint_url,
        region=settings.s3_region,
        access_key_id=settings.s3_access_key_id,
        secret_access_key=settings.s3_secret_access_key,
    )


def build_services(
    settings: Settings,
    *,
    with_worker: bool,
    clock: Clock | None = None,
    seeds: Callable[[], int] = random_seed,
    engine_factory: Callable[[], Engine] | None = None,
) -> Services:
    """Connect, migrate, and wire the services; the worker, if any, is built but not started."""
    clock = clock or SystemClock()
    policy = content_policy(settings)  # a bad file stops the start, before anything is opened
    db = Database(settings.database_url)
    upgrade(db)
    storage = storage_of(settings)
    storage.check()
    queue = JobQueue(db, clock, lease_seconds=settings.lease_seconds, max_attempts=settings.max_attempts)
    events = JobEvents()
    metrics = Metrics(queue)
    worker = None
    if with_worker:
        worker = Worker(
            queue=queue,
            storage=storage,
            engine_factory=engine_factory or default_engine_factory(settings),
            clock=clock,
            retention_days=settings.retention_days,
            poll_seconds=settings.poll_seconds,
            batch_images=settings.batch_images,
            batch_wait_seconds=settings.batch_wait_ms / 1000,
            encode_threads=settings.encode_threads,
            on_finished=events.publish,
            metrics=metrics,
        )
    limits = RateLimiter(
        clock, settings.redis_url or "memory://", auth_failures_per_minute=settings.auth_failures_per_minute
    )
    generation = GenerationService(
        db,
        queue,
        clock,
        events,
        served=[settings.model],
        max_queued=settings.max_queued_jobs,
        poll_seconds=settings.poll_seconds,
        seeds=seeds,
        storage=storage,
        limits_of=partial(Limits.of, plans=settings.plans),
        policy=policy,
        webhooks_allow_private=settings.webhooks_allow_private,
        on_submit=worker.wake if worker is not None else lambda: None,
        unavailable=(lambda: worker.error) if worker is not None else lambda: None,
    )
    listener = None
    if not db.is_sqlite:
        handlers: dict[str, Callable[[str], None]] = {JOB_ENDED: events.publish}
        if worker is None:
            listener = Listener(db, handlers)
        else:
            wake = worker.wake
            handlers[JOBS_QUEUED] = lambda _payload: wake()
            listener = Listener(db, handlers, on_reconnect=wake)  # what was queued meanwhile
    return Services(
        listener=listener,
        settings=settings,
        db=db,
        storage=storage,
        clock=clock,
        queue=queue,
        events=events,
        keys=KeyService(db, clock, plans=settings.plans, default_plan=settings.default_plan),
        generation=generation,
        images=ImageService(
            db,
            storage,
            clock,
            retention_days=settings.retention_days,
            delivery=settings.image_delivery,
            public_url=settings.storage_public_url,
            presign_seconds=settings.presign_seconds,
        ),
        worker=worker,
        outbox=WebhookOutbox(db, clock),
        limits=limits,
        usage=UsageService(db, clock, limits, limits_of=generation.limits_of),
        retention=RetentionSweeper(db, storage, clock, retention_days=settings.retention_days),
        metrics=metrics,
    )
