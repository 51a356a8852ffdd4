"""The composition root of a worker process (`sfumato worker`): the queue, the store and the engine's
worker, nothing of the API. Its own commits take SQLite's checkpoints (docs/architecture.md)."""

from dataclasses import dataclass

from sfumato.config import Settings
from sfumato.db.database import AUTOCHECKPOINT_PAGES, Database
from sfumato.db.jobs import JobStore
from sfumato.db.notify import Listener
from sfumato.domain.clock import Clock, SystemClock
from sfumato.roots import parts
from sfumato.services.metrics import Metrics
from sfumato.services.models import catalogue_of
from sfumato.services.readiness import Readiness
from sfumato.services.startup import checked_credentials, checked_storage, open_database
from sfumato.services.worker import Worker
from sfumato.services.worker.engines import EngineFactory


@dataclass
class WorkerRoot:
    settings: Settings
    db: Database
    worker: Worker
    metrics: Metrics  # served on SFUMATO_METRICS_PORT when set
    readiness: Readiness  # its probes' /readyz on that port
    listener: Listener | None  # PostgreSQL only: wakes the worker when another process queues a job

    def start(self) -> None:
        """Listening first, so no signal sent after the worker starts is missed."""
        if self.listener is not None:
            self.listener.start()
        self.worker.start()

    def close(self) -> None:
        self.worker.stop()
        if self.listener is not None:
            self.listener.stop()
        self.db.dispose()


def build_worker_root(
    settings: Settings, *, clock: Clock | None = None, engine_factory: EngineFactory | None = None
) -> WorkerRoot:
    """Connect, migrate, and build the worker (not started)."""
    clock = clock or SystemClock()
    credentials = checked_credentials(settings)  # a certificate that cannot sign stops the start
    catalogue = catalogue_of(settings)
    db = open_database(settings, autocheckpoint=AUTOCHECKPOINT_PAGES)
    metrics = Metrics(JobStore(db), clock)
    storage = checked_storage(settings)
    worker = parts.worker(
        settings,
        parts.job_queue(settings, db, clock),
        storage,
        clock,
        metrics,
        credentials,
        catalogue,
        engine_factory=engine_factory,
        on_finished=lambda _job_id: None,  # no one waits in this process: API processes hear NOTIFY
    )
    readiness = Readiness(db, storage, worker)
    return WorkerRoot(settings, db, worker, metrics, readiness, parts.listener(db, None, worker))
