"""What several composition roots build alike: the plans, the key service, a worker and its listener; the
token counter of the served models."""

from collections.abc import Callable, Mapping
from typing import Any

from sfumato.config import Settings
from sfumato.db.database import Database
from sfumato.db.keys import KeyStore
from sfumato.db.loras import LoraStore
from sfumato.db.notify import JOB_ENDED, JOBS_QUEUED, Listener
from sfumato.db.queue import JobQueue
from sfumato.db.workers import WorkerStore
from sfumato.domain.catalogue import Catalogue
from sfumato.domain.clock import Clock
from sfumato.domain.models import ModelSpec
from sfumato.domain.plans import PlanBook
from sfumato.engine.base import Engine
from sfumato.services.credentials import ContentCredentials
from sfumato.services.keys import KeyService
from sfumato.services.loras import LoraService
from sfumato.services.metrics import Metrics
from sfumato.services.models import model_memory, served_names
from sfumato.services.startup import engine_options
from sfumato.services.tokens import TokenCounter
from sfumato.services.worker import Worker, WorkerOptions
from sfumato.services.worker.adapters import AdapterFiles
from sfumato.services.worker.engines import EngineFactory
from sfumato.storage import Storage


def plan_book(settings: Settings) -> PlanBook:
    return PlanBook(settings.plans, settings.default_plan)


def key_service(settings: Settings, db: Database, clock: Clock) -> KeyService:
    plans = plan_book(settings)
    return KeyService(KeyStore(db), clock, plans=plans.plans, default_plan=plans.default)


def lora_service(
    settings: Settings, db: Database, storage: Storage, clock: Clock, catalogue: Catalogue
) -> LoraService:
    """LoRA adapters: checked against the families of the models served here, stored beside the images."""
    return LoraService(
        LoraStore(db),
        storage,
        clock,
        limits_of=plan_book(settings).limits_of,
        families=[catalogue.spec(name).family for name in served_names(settings)],
        max_bytes=settings.lora_max_bytes,
        max_rank=settings.lora_max_rank,
        scratch=settings.data_dir / "uploads",
    )


def job_queue(settings: Settings, db: Database, clock: Clock) -> JobQueue:
    return JobQueue(db, clock, lease_seconds=settings.lease_seconds, max_attempts=settings.max_attempts)


def default_engine_factory(settings: Settings, catalogue: Catalogue) -> Callable[[str], Engine]:
    """Each served model's engine, by name, from the catalogue (services.models)."""

    def build(name: str) -> Engine:
        from sfumato.engine.registry import load_engine

        return load_engine(catalogue.spec(name), engine_options(settings))

    return build


def token_counter(settings: Settings, catalogue: Mapping[str, ModelSpec]) -> TokenCounter:
    """Counts with each model's own tokenizer, found at its first count (transformers is imported then, not
    at start)."""

    def reader_of(spec: ModelSpec) -> Any:
        from sfumato.engine.prompt_reader import prompt_reader

        return prompt_reader(spec, engine_options(settings).weights)

    return TokenCounter(catalogue, reader_of)


def worker(
    settings: Settings,
    queue: JobQueue,
    storage: Storage,
    clock: Clock,
    metrics: Metrics,
    credentials: ContentCredentials,
    catalogue: Catalogue,
    *,
    engine_factory: EngineFactory | None,
    on_finished: Callable[[str], None],
) -> Worker:
    """A worker, built but not started: `sfumato worker`'s, or the one `sfumato serve` embeds."""
    return Worker(
        queue=queue,
        storage=storage,
        engine_factory=engine_factory or default_engine_factory(settings, catalogue),
        clock=clock,
        options=WorkerOptions(
            retention_days=settings.retention_days,
            poll_seconds=settings.poll_seconds,
            batch_images=settings.batch_images,
            batch_wait_seconds=settings.batch_wait_ms / 1000,
            encode_threads=settings.encode_threads,
            png_compress_level=settings.png_compress_level,
            model_memory=model_memory(settings),
            switch_after_seconds=settings.model_switch_seconds,
            heartbeat_seconds=settings.heartbeat_seconds,
        ),
        on_finished=on_finished,
        metrics=metrics,
        credentials=credentials,
        models=served_names(settings),
        adapter_files=adapter_files(settings, storage),
        heartbeats=WorkerStore(queue.db),
    )


def adapter_files(settings: Settings, storage: Storage) -> AdapterFiles:
    """A worker's LoRA files: in a folder store, where they lie; from a bucket, copies in the data
    directory, four caches' worth at most."""
    return AdapterFiles(storage, settings.data_dir / "lora-cache", max_bytes=4 * settings.lora_cache_bytes)


def listener(db: Database, on_ended: Callable[[str], None] | None, worker: Worker | None) -> Listener | None:
    """PostgreSQL: the signals of the other processes wake this one's waiters (`on_ended`), and its worker."""
    if db.is_sqlite:
        return None
    handlers: dict[str, Callable[[str], None]] = {JOB_ENDED: on_ended} if on_ended is not None else {}
    if worker is None:
        return Listener(db, handlers)
    wake = worker.wake
    handlers[JOBS_QUEUED] = lambda _payload: wake()
    return Listener(db, handlers, on_reconnect=wake)  # what was queued meanwhile
