"""Worker: builds the claimer, the runner, the finisher, the lease keeper and the heartbeat, and runs the
engine thread."""

import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from prometheus_client import Counter

from sfumato.db.claims import Wanted
from sfumato.db.queue import JobQueue
from sfumato.db.workers import WorkerStore
from sfumato.domain.clock import Clock
from sfumato.engine.base import Engine
from sfumato.services.credentials import ContentCredentials
from sfumato.services.metrics import Metrics
from sfumato.services.worker.adapters import AdapterCounters, AdapterFiles
from sfumato.services.worker.claimer import Claimer
from sfumato.services.worker.engines import EngineFactory, EngineSet
from sfumato.services.worker.finisher import Finisher
from sfumato.services.worker.heartbeat import HeartbeatKeeper
from sfumato.services.worker.held_jobs import HeldJob, HeldJobs
from sfumato.services.worker.leases import LeaseKeeper
from sfumato.services.worker.runner import Runner
from sfumato.storage import Storage

log = logging.getLogger(__name__)


def worker_name() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"


@dataclass(frozen=True)
class WorkerOptions:
    """The worker's settings (docs/settings.md): SFUMATO_RETENTION_DAYS, _POLL_SECONDS, _BATCH_IMAGES,
    _BATCH_WAIT_MS, _ENCODE_THREADS, _PNG_COMPRESS_LEVEL, _HEARTBEAT_SECONDS."""

    retention_days: int = 30
    poll_seconds: float = 1.0
    batch_images: int = 8
    batch_wait_seconds: float = 0.01
    encode_threads: int = 2
    png_compress_level: int = 4
    model_memory: Callable[[], int | None] = lambda: None  # bytes the models may hold; None: no bound
    switch_after_seconds: float | None = None  # holding several: when a model not loaded is worth a switch
    heartbeat_seconds: float = 5.0


class Worker:
    def __init__(
        self,
        *,
        queue: JobQueue,
        storage: Storage,
        engine_factory: EngineFactory,
        clock: Clock,
        options: WorkerOptions = WorkerOptions(),
        on_finished: Callable[[str], None] = lambda job_id: None,
        name: str | None = None,
        metrics: Metrics | None = None,
        credentials: ContentCredentials | None = None,
        models: Sequence[str] = (),
        adapter_files: AdapterFiles | None = None,
        heartbeats: WorkerStore | None = None,
    ) -> None:
        self.queue = queue
        self.poll_seconds = options.poll_seconds
        self.name = name or worker_name()
        self.metrics = metrics or Metrics()
        # The models it serves, the default first (empty: the one the factory makes), and which are loaded.
        self.engines = EngineSet(
            engine_factory,
            models,
            budget=options.model_memory,
            on_switch=lambda model, _seconds: self._switched(self.metrics.model_switches, model),
            on_unload=lambda model: self._switched(self.metrics.model_unloads, model),
        )
        self.metrics.watch_models(lambda: self.engines.models, self.engines.resident)
        self._adapter_events = AdapterCounters(self.metrics)
        self.ready = threading.Event()
        self.options = options
        self.error: str | None = None  # why the engine could not start

        self._stopping = threading.Event()  # the batch in hand stops at its next step
        self._draining = threading.Event()  # no more claims; set by drain() and by stop()
        self._drain_deadline: float | None = None
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
            stopping=self._draining,
            wake=self._wake,
            on_finished=on_finished,
            adapter_files=adapter_files,
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
            credentials=credentials,
        )
        self._leases = LeaseKeeper(queue, held, owner=self.name)
        # Its heartbeat (the fleet's models, docs/api.md §15): on its own thread, never the engine's.
        self._heartbeat = (
            HeartbeatKeeper(
                heartbeats,
                clock,
                name=self.name,
                models=lambda: self.models,
                loaded=self.resident,
                interval=options.heartbeat_seconds,
            )
            if heartbeats is not None
            else None
        )
        self._engine_thread = threading.Thread(target=self._engine_loop, name="sfumato-engine", daemon=True)

    def start(self) -> None:
        self._engine_thread.start()
        self._finisher.start()
        self._leases.start()
        if self._heartbeat is not None:
            self._heartbeat.start()

    def wake(self) -> None:
        """New work was queued: look now rather than at the next poll."""
        self._wake.set()

    def drain(self, seconds: float) -> None:
        """SIGTERM: claim nothing more, and let the batch in hand finish within `seconds`; `stop` then waits
        for it that long, and hands back what is still being generated at that moment."""
        deadline = time.monotonic() + seconds
        if self._drain_deadline is None or deadline < self._drain_deadline:
            self._drain_deadline = deadline
        self._draining.set()
        self._wake.set()
        if self._heartbeat is not None:
            self._heartbeat.leave()  # it serves no more: the fleet stops counting it now
        log.info("worker %s: draining: no more claims; the batch in hand has %.0f s", self.name, seconds)

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the batch being generated at its next step and hand it back; finish those already made.
        After `drain`, the batch in hand first has until the drain's deadline to finish."""
        self._draining.set()
        self._wake.set()
        if not self._engine_thread.is_alive() and not self._finisher.is_alive():
            self._stopping.set()
            return  # never started, or already stopped
        if self._drain_deadline is not None and self.ready.is_set():  # a model still loading has no batch
            self._engine_thread.join(max(0.0, self._drain_deadline - time.monotonic()))
        self._stopping.set()
        self._engine_thread.join(timeout)
        self._finisher.stop(timeout)  # after the engine's last hand-over: it drains, then ends
        self._leases.stop(timeout)  # last: leases are renewed until the finisher has committed
        if self._heartbeat is not None:
            self._heartbeat.stop(timeout)

    @property
    def serving(self) -> bool:
        """Whether it takes work: not draining, stopped, nor failed to start its model."""
        return self.error is None and not self._draining.is_set()

    @property
    def models(self) -> tuple[str, ...]:
        """The models this worker serves, the default first."""
        return self.engines.models

    def resident(self) -> list[str]:
        """Its models in memory now, least recently used first."""
        return self.engines.resident()

    def _switched(self, counter: Counter, model: str) -> None:
        """A model loaded or unloaded: counted, and the heartbeat tells the fleet at once."""
        counter.labels(model).inc()
        if self._heartbeat is not None:
            self._heartbeat.poke()

    def _engine_loop(self) -> None:
        try:
            default = self.engines.start()
        except Exception as error:
            self.error = f"the model could not start: {type(error).__name__}: {error}"
            log.exception("worker %s: %s", self.name, self.error)
            if self._heartbeat is not None:
                self._heartbeat.leave()  # it serves nothing
            return
        switch_after, engines = self.options.switch_after_seconds, self.engines
        # Only its models' jobs, those it has loaded first (db.claims), as they are at each claim.
        self._claimer.wanted = lambda: Wanted(engines.models, engines.resident(), switch_after)
        self.ready.set()
        if self._heartbeat is not None:
            self._heartbeat.poke()  # its default model is in memory now: the fleet hears it at once
        log.info("worker %s: ready with %s; serves %s", self.name, default.spec.name, ", ".join(self.models))
        while not self._draining.is_set():
            try:
                batch = self._claimer.next_batch()
            except Exception:  # the database is away: keep the worker alive and look again
                log.exception("worker %s: cannot reach the queue", self.name)
                self._draining.wait(self.poll_seconds)
                continue
            if not batch:
                self._wake.wait(self.poll_seconds)
                self._wake.clear()
                continue
            engine = self._engine_for(batch)
            if engine is None:
                continue
            try:
                if made := self._runner.run(engine, batch):
                    self._finisher.hand(made)  # waits while the finisher is a whole batch behind
            except Exception:  # could not record the outcome; the jobs' leases will lapse
                log.exception("worker %s: lost track of %s", self.name, [held.job.id for held in batch])
                for held in batch:
                    self._held.drop(held.job.id)
        self._claimer.release_ahead()

    def _engine_for(self, batch: list[HeldJob]) -> Engine | None:
        """The engine of the batch's model (a batch never mixes models), loaded if it must be. A batch of a
        model this worker does not serve goes back to the queue for a worker that does; one whose model
        cannot load fails."""
        model = batch[0].params.model
        if model not in self.models:
            log.warning("worker %s: %s is not its model; %d jobs handed back", self.name, model, len(batch))
            self._runner.hand_back(batch)
            self._stopping.wait(self.poll_seconds)
            return None
        try:
            engine = self.engines.get(model)
        except Exception as error:
            log.exception("worker %s: %s could not load", self.name, model)
            self._runner.fail(batch, error)
            return None
        listen = getattr(engine, "listen_adapters", None)  # engines that run LoRA adapters report on them
        if listen is not None:
            listen(self._adapter_events)
        return engine
