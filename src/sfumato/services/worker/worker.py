"""Worker: builds the claimer, the runner, the finisher and the lease keeper, and runs the engine thread."""

import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sfumato.db.claims import Wanted
from sfumato.db.queue import JobQueue
from sfumato.domain.clock import Clock
from sfumato.engine.base import Engine
from sfumato.services.metrics import Metrics
from sfumato.services.worker.claimer import Claimer
from sfumato.services.worker.finisher import Finisher
from sfumato.services.worker.held import HeldJobs
from sfumato.services.worker.leases import LeaseKeeper
from sfumato.services.worker.runner import Runner
from sfumato.storage import Storage

log = logging.getLogger(__name__)


def worker_name() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"


@dataclass(frozen=True)
class WorkerOptions:
    """The worker's settings (docs/settings.md): SFUMATO_RETENTION_DAYS, _POLL_SECONDS, _BATCH_IMAGES,
    _BATCH_WAIT_MS, _ENCODE_THREADS, _PNG_COMPRESS_LEVEL."""

    retention_days: int = 30
    poll_seconds: float = 1.0
    batch_images: int = 8
    batch_wait_seconds: float = 0.01
    encode_threads: int = 2
    png_compress_level: int = 4
    models: tuple[str, ...] = ()  # the models whose jobs it takes; empty: its engine's own
    switch_after_seconds: float | None = None  # holding several: when a model not loaded is worth a switch


class Worker:
    def __init__(
        self,
        *,
        queue: JobQueue,
        storage: Storage,
        engine_factory: Callable[[], Engine],
        clock: Clock,
        options: WorkerOptions = WorkerOptions(),
        on_finished: Callable[[str], None] = lambda job_id: None,
        name: str | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.queue = queue
        self.engine_factory = engine_factory
        self.poll_seconds = options.poll_seconds
        self.name = name or worker_name()
        self.metrics = metrics or Metrics()
        self.ready = threading.Event()
        self.options = options
        self.error: str | None = None  # why the engine could not start

        self._stopping = threading.Event()
        self._wake = threading.Event()
        held = HeldJobs()
        self._held = held
        self._claimer = Claimer(
            queue,
            storage,
            held,
            owner=self.name,
            budget=options.batch_images,
            batch_wait=options.batch_wait_seconds,
            stopping=self._stopping,
            wake=self._wake,
            on_finished=on_finished,
        )
        self._runner = Runner(
            queue,
            held,
            clock,
            self.metrics,
            owner=self.name,
            stopping=self._stopping,
            on_last_step=self._claimer.claim_ahead,
            on_finished=on_finished,
        )
        self._finisher = Finisher(
            queue,
            storage,
            held,
            clock,
            self.metrics,
            owner=self.name,
            retention=timedelta(days=options.retention_days),
            encode_threads=options.encode_threads,
            png_compress_level=options.png_compress_level,
            on_finished=on_finished,
        )
        self._leases = LeaseKeeper(queue, held, owner=self.name)
        self._engine_thread = threading.Thread(target=self._engine_loop, name="sfumato-engine", daemon=True)

    def start(self) -> None:
        self._engine_thread.start()
        self._finisher.start()
        self._leases.start()

    def wake(self) -> None:
        """New work was queued: look now rather than at the next poll."""
        self._wake.set()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the batch being generated at its next step and hand it back; finish those already made."""
        self._stopping.set()
        self._wake.set()
        if not self._engine_thread.is_alive() and not self._finisher.is_alive():
            return  # never started, or already stopped
        self._engine_thread.join(timeout)
        self._finisher.stop(timeout)  # after the engine's last hand-over: it drains, then ends
        self._leases.stop(timeout)  # last: leases are renewed until the finisher has committed

    def _engine_loop(self) -> None:
        try:
            engine = self.engine_factory()
            engine.warmup()
        except Exception as error:
            self.error = f"the model could not start: {type(error).__name__}: {error}"
            log.exception("worker %s: %s", self.name, self.error)
            return
        models = self.options.models or (engine.spec.name,)
        self._claimer.wanted = Wanted(models, switch_after=self.options.switch_after_seconds)
        self.ready.set()
        log.info("worker %s: ready with %s", self.name, engine.spec.name)
        while not self._stopping.is_set():
            try:
                batch = self._claimer.next_batch()
            except Exception:  # the database is away: keep the worker alive and look again
                log.exception("worker %s: cannot reach the queue", self.name)
                self._stopping.wait(self.poll_seconds)
                continue
            if not batch:
                self._wake.wait(self.poll_seconds)
                self._wake.clear()
                continue
            try:
                if made := self._runner.run(engine, batch):
                    self._finisher.hand(made)  # waits while the finisher is a whole batch behind
            except Exception:  # could not record the outcome; the jobs' leases will lapse
                log.exception("worker %s: lost track of %s", self.name, [held.job.id for held in batch])
                for held in batch:
                    self._held.drop(held.job.id)
        self._claimer.release_ahead()
