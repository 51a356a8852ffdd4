"""The composition root of an API process (`sfumato serve`, `create_app`): the services both HTTP edges
use, each route reaching only the one it needs (sfumato/http/deps.py); with `worker`, the worker `serve`
embeds. Connects and migrates: call it off the event loop."""

import secrets
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from sfumato.config import Settings
from sfumato.db.client_options import ClientOptionsStore
from sfumato.db.database import Database
from sfumato.db.images import ImageStore
from sfumato.db.jobs import JobStore
from sfumato.db.notify import Listener
from sfumato.db.outbox import WebhookOutbox
from sfumato.db.queue import JobQueue
from sfumato.db.secrets import shared_secret
from sfumato.db.sessions import SessionStore
from sfumato.db.usage import UsageStore
from sfumato.db.workers import WorkerStore
from sfumato.domain.clock import Clock, SystemClock
from sfumato.domain.errors import NotFound
from sfumato.domain.ids import random_seed
from sfumato.domain.plans import PlanBook
from sfumato.http.objects import job_json
from sfumato.http.session import MAX_AGE, Sessions
from sfumato.imaging.inputs import InputLimits
from sfumato.roots import parts
from sfumato.services.access import AccessService
from sfumato.services.checkpoints import checkpoint_every
from sfumato.services.client_options import ClientOptions
from sfumato.services.credentials import ContentCredentials
from sfumato.services.deliveries import DeliveryLog
from sfumato.services.events import JobEvents
from sfumato.services.fleet import Fleet
from sfumato.services.generation import GenerationService
from sfumato.services.images import ImageService
from sfumato.services.inputs import InputService
from sfumato.services.keys import KeyService
from sfumato.services.limits import RateLimiter
from sfumato.services.loras import LoraService
from sfumato.services.metrics import Metrics
from sfumato.services.models import catalogue_of, check_references, served_names
from sfumato.services.readiness import Readiness
from sfumato.services.retention import RetentionSweeper
from sfumato.services.startup import checked_credentials, checked_policy, checked_storage, open_database
from sfumato.services.status import ServiceStatus
from sfumato.services.tokens import TokenCounter
from sfumato.services.usage import UsageService
from sfumato.services.watches import JobWatches
from sfumato.services.webhooks import WebhookDispatcher
from sfumato.services.worker import Worker
from sfumato.services.worker.engines import EngineFactory
from sfumato.storage import Storage


@dataclass
class ApiRoot:
    """Everything an API process runs. Routes never hold it: each asks for its part by name."""

    settings: Settings
    clock: Clock
    db: Database
    storage: Storage
    plans: PlanBook
    queue: JobQueue
    events: JobEvents
    keys: KeyService
    limits: RateLimiter
    access: AccessService
    sessions: Sessions
    generation: GenerationService
    fleet: Fleet
    watches: JobWatches
    tokens: TokenCounter
    images: ImageService
    loras: LoraService
    usage: UsageService
    status: ServiceStatus
    metrics: Metrics
    client_options: ClientOptions
    outbox: WebhookOutbox
    deliveries: DeliveryLog
    readiness: Readiness
    credentials: ContentCredentials
    retention: RetentionSweeper
    dispatcher: WebhookDispatcher
    worker: Worker | None  # the worker `sfumato serve` embeds; None with --no-worker
    listener: Listener | None  # PostgreSQL only: signals from the other processes
    sweeper_db: Database | None  # SQLite: the sweeper's own handle (docs/architecture.md, checkpoints)

    def start(self) -> None:
        """Start the threads: listening first, so no signal sent after the worker starts is missed."""
        if self.listener is not None:
            self.listener.start()
        if self.worker is not None:
            self.worker.start()

    def background(self) -> list[Coroutine[Any, Any, None]]:
        """What runs on the event loop: webhook deliveries, the retention sweeper and, on SQLite, the WAL's
        checkpoints."""
        work = [self.dispatcher.run(), self.retention.run_every(self.settings.sweep_seconds)]
        if self.db.is_sqlite:
            work.append(checkpoint_every(self.db))
        return work

    def close(self) -> None:
        if self.worker is not None:
            self.worker.stop()
        if self.listener is not None:
            self.listener.stop()
        if self.sweeper_db is not None:
            self.sweeper_db.dispose()
        self.db.dispose()


def build_api_root(
    settings: Settings,
    *,
    worker: bool,
    clock: Clock | None = None,
    seeds: Callable[[], int] = random_seed,
    engine_factory: EngineFactory | None = None,
) -> ApiRoot:
    """Connect, migrate, and wire an API process; its worker, if any, is built but not started."""
    clock = clock or SystemClock()
    policy = checked_policy(settings)  # a bad file stops the start, before anything is opened
    credentials = checked_credentials(settings)  # so does a certificate that cannot sign
    catalogue = catalogue_of(settings)  # so does a wrong catalogue entry
    check_references(settings, catalogue)  # and a plan or OpenAI alias naming a model outside it
    # SQLite's checkpoints (docs/architecture.md, "Cost as the data grows"): no commit a client waits for
    # takes one; the sweeper's commits do, through a handle of its own, after they release the write
    # lock, and a task (`background`) takes the rest.
    db = open_database(settings, autocheckpoint=0)
    sweeper_db = Database(settings.database_url) if db.is_sqlite else None
    storage = checked_storage(settings)
    plans = parts.plan_book(settings)
    queue = parts.job_queue(settings, db, clock)
    jobs, images = JobStore(db), ImageStore(db)
    events = JobEvents()
    metrics = Metrics(jobs, clock)
    embedded = None
    if worker:
        embedded = parts.worker(
            settings,
            queue,
            storage,
            clock,
            metrics,
            credentials,
            catalogue,
            engine_factory=engine_factory,
            on_finished=events.publish,
        )
    limits = RateLimiter(
        clock, settings.redis_url or "memory://", auth_failures_per_minute=settings.auth_failures_per_minute
    )
    keys = parts.key_service(settings, db, clock)
    loras = parts.lora_service(settings, db, storage, clock, catalogue)
    workers = WorkerStore(db)
    fleet = Fleet(
        workers,
        db,
        clock,
        own=embedded,
        configured=served_names(settings),
        heartbeat_seconds=settings.heartbeat_seconds,
    )
    generation = GenerationService(
        db,
        jobs,
        queue,
        clock,
        events,
        served=served_names(settings),
        catalogue=catalogue,
        max_queued=settings.max_queued_jobs,
        poll_seconds=settings.poll_seconds,
        seeds=seeds,
        storage=storage,
        inputs=InputService(
            images,
            storage,
            clock,
            InputLimits(settings.max_input_bytes, settings.max_input_pixels),
            credentials,
        ),
        limits_of=plans.limits_of,
        policy=policy,
        webhooks_allow_private=settings.webhooks_allow_private,
        on_submit=embedded.wake if embedded is not None else lambda: None,
        unavailable=(lambda: embedded.error) if embedded is not None else lambda: None,
        waiting=fleet.waiting,
        loras=loras.resolve,
    )
    outbox = WebhookOutbox(db, clock)
    session_secret = settings.session_secret or shared_secret(
        db, clock, "session", lambda: secrets.token_urlsafe(32)
    )
    return ApiRoot(
        settings=settings,
        clock=clock,
        db=db,
        storage=storage,
        plans=plans,
        queue=queue,
        events=events,
        keys=keys,
        limits=limits,
        access=AccessService(
            keys,
            limits,
            plans,
            SessionStore(db),
            clock,
            session_seconds=MAX_AGE,
            anonymous_key_id=settings.a1111_anonymous_key,
        ),
        sessions=Sessions(session_secret),
        generation=generation,
        fleet=fleet,
        watches=JobWatches(generation.view, events, plans.limits_of, poll_seconds=settings.poll_seconds),
        tokens=parts.token_counter(settings, generation.catalogue),
        images=ImageService(
            images,
            storage,
            clock,
            retention_days=settings.retention_days,
            delivery=settings.image_delivery,
            public_url=settings.storage_public_url,
            presign_seconds=settings.presign_seconds,
            limits_of=plans.limits_of,
            png_compress_level=settings.png_compress_level,
            credentials=credentials,
        ),
        loras=loras,
        usage=UsageService(UsageStore(db), clock, limits, limits_of=plans.limits_of),
        status=ServiceStatus(jobs, images, clock, workers),
        metrics=metrics,
        client_options=ClientOptions(ClientOptionsStore(db), clock),
        outbox=outbox,
        deliveries=DeliveryLog(outbox),
        readiness=Readiness(db, storage, embedded),
        credentials=credentials,
        retention=RetentionSweeper(
            ImageStore(sweeper_db or db),
            JobStore(sweeper_db or db),
            storage,
            clock,
            retention_days=settings.retention_days,
        ),
        dispatcher=webhook_dispatcher(settings, outbox, generation, clock, metrics),
        worker=embedded,
        listener=parts.listener(db, events.publish, embedded),
        sweeper_db=sweeper_db,
    )


def webhook_dispatcher(
    settings: Settings, outbox: WebhookOutbox, generation: GenerationService, clock: Clock, metrics: Metrics
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
