"""The worker: claims jobs, runs the engine, stores the images, ends the jobs.

Three threads, so the engine never waits on the database or on encoding:
- the engine thread claims a job, generates its images, and hands them on;
- the finisher encodes and stores the images and ends the job in one transaction, while the
  engine thread is already on the next job;
- the heartbeat renews the leases of the jobs in hand, records their progress, and tells the
  engine thread to stop a job that was canceled or whose lease was lost.

Files are stored under `{job_id}/{attempt}-{i}.{format}` before the job's transaction commits. An
attempt that cannot commit (canceled, lease lost) deletes its own files; one that crashed between the
two leaves files that the next attempt deletes once it has committed.
"""

import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from queue import Queue

from PIL.Image import Image as PILImage

from sfumato.db.queue import JobQueue
from sfumato.db.tables import Image, Job
from sfumato.domain.clock import Clock
from sfumato.domain.generation import JobParams
from sfumato.domain.ids import new_id
from sfumato.engine.base import Engine, GenerationCanceled, RenderJob
from sfumato.engine.encode import encode_image, file_parameters
from sfumato.storage import Storage

log = logging.getLogger(__name__)


def worker_name() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"


@dataclass
class _Held:
    """A claimed job, from its claim until its end is committed."""

    job: Job
    params: JobParams
    progress: float = 0.0
    lost: bool = False  # canceled, or another worker holds it now: stop and keep nothing


class Worker:
    def __init__(
        self,
        *,
        queue: JobQueue,
        storage: Storage,
        engine_factory: Callable[[], Engine],
        clock: Clock,
        retention_days: int,
        poll_seconds: float,
        on_finished: Callable[[str], None] = lambda job_id: None,
        name: str | None = None,
    ) -> None:
        self.queue = queue
        self.storage = storage
        self.engine_factory = engine_factory
        self.clock = clock
        self.retention = timedelta(days=retention_days)
        self.poll_seconds = poll_seconds
        self.on_finished = on_finished
        self.name = name or worker_name()
        self.ready = threading.Event()
        self.error: str | None = None  # why the engine could not start

        self._stopping = threading.Event()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._held: dict[str, _Held] = {}
        self._finishing: Queue[tuple[_Held, list[PILImage]] | None] = Queue(maxsize=1)
        self._heartbeat_stop = threading.Event()
        self._last_sweep = 0.0
        self._engine_thread = threading.Thread(target=self._engine_loop, name="sfumato-engine", daemon=True)
        self._finisher = threading.Thread(target=self._finish_loop, name="sfumato-finisher", daemon=True)
        self._heartbeat = threading.Thread(target=self._heartbeat_loop, name="sfumato-heartbeat", daemon=True)

    # Life cycle.

    def start(self) -> None:
        for thread in (self._engine_thread, self._finisher, self._heartbeat):
            thread.start()

    def wake(self) -> None:
        """New work was queued: look now rather than at the next poll."""
        self._wake.set()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the job being generated at its next step and hand it back; finish those already made."""
        self._stopping.set()
        self._wake.set()
        if not self._engine_thread.is_alive() and not self._finisher.is_alive():
            return  # never started, or already stopped
        self._engine_thread.join(timeout)
        self._finishing.put(None)  # after the engine's last hand-over: the finisher drains, then ends
        self._finisher.join(timeout)
        self._heartbeat_stop.set()  # last: leases are renewed until the finisher has committed
        self._heartbeat.join(timeout)

    # The engine thread.

    def _engine_loop(self) -> None:
        try:
            engine = self.engine_factory()
            engine.warmup()
        except Exception as error:
            self.error = f"the model could not start: {type(error).__name__}: {error}"
            log.exception("worker %s: %s", self.name, self.error)
            return
        self.ready.set()
        log.info("worker %s: ready with %s", self.name, engine.spec.name)
        while not self._stopping.is_set():
            try:
                self._sweep()
                jobs = self.queue.claim(self.name, 1) if self.queue.has_queued() else []
            except Exception:  # the database is away: keep the worker alive and look again
                log.exception("worker %s: cannot reach the queue", self.name)
                self._stopping.wait(self.poll_seconds)
                continue
            if not jobs:
                self._wake.wait(self.poll_seconds)
                self._wake.clear()
                continue
            for job in jobs:
                try:
                    self._generate(engine, job)
                except Exception:  # could not record the outcome; the job's lease will lapse
                    log.exception("worker %s: lost track of %s", self.name, job.id)
                    self._drop(job.id)

    def _sweep(self) -> None:
        """Requeue jobs whose workers vanished; a few times a lease, not on every loop."""
        now = time.monotonic()
        if now - self._last_sweep < min(self.queue.lease.total_seconds() / 4, 5.0):
            return
        self._last_sweep = now
        expired = self.queue.requeue_expired()
        if expired.requeued:
            log.warning("worker %s: requeued jobs whose lease lapsed: %s", self.name, expired.requeued)
        for job_id in expired.failed:
            log.warning("worker %s: %s failed after its last attempt", self.name, job_id)
            self.storage.delete_prefix(job_id)
            self.on_finished(job_id)

    def _generate(self, engine: Engine, job: Job) -> None:
        params = JobParams.from_dict(job.params)
        held = _Held(job, params)
        with self._lock:
            self._held[job.id] = held
        render = RenderJob.for_params(params)
        log.info("worker %s: generating %s (attempt %d)", self.name, job.id, job.attempts)
        try:
            images = engine.generate(
                render,
                on_step=lambda done, total: setattr(held, "progress", done / total),
                should_stop=lambda: held.lost or self._stopping.is_set(),
            )
        except GenerationCanceled:
            self._drop(job.id)
            if not held.lost:  # stopping: another worker, or this one restarted, takes it
                self.queue.release(self.name, [job.id])
                log.info("worker %s: handed %s back", self.name, job.id)
            return
        except Exception as error:
            log.exception("worker %s: %s failed", self.name, job.id)
            self._drop(job.id)
            self.queue.fail(self.name, job.id, "generation_failed", f"{type(error).__name__}: {error}")
            self.on_finished(job.id)
            return
        self._finishing.put((held, images))  # waits while the finisher is a job behind

    # The finisher thread.

    def _finish_loop(self) -> None:
        while (item := self._finishing.get()) is not None:
            held, images = item
            try:
                self._finish(held, images)
            except Exception as error:
                log.exception("worker %s: could not store %s", self.name, held.job.id)
                try:
                    self.queue.fail(
                        self.name, held.job.id, "storage_failed", f"{type(error).__name__}: {error}"
                    )
                except Exception:
                    log.exception(
                        "worker %s: could not fail %s; its lease will lapse", self.name, held.job.id
                    )
            finally:
                self._drop(held.job.id)
                self.on_finished(held.job.id)

    def _finish(self, held: _Held, images: list[PILImage]) -> None:
        job, params = held.job, held.params
        if held.lost:
            return
        now = self.clock.now()
        rows, keys = [], []
        for index, (image, seed) in enumerate(zip(images, params.seeds(), strict=True)):
            data = encode_image(
                image, params.format, quality=params.quality, parameters=file_parameters(params, seed)
            )
            key = f"{job.id}/{job.attempts}-{index}.{params.format}"
            self.storage.put(key, data)
            keys.append(key)
            rows.append(
                Image(
                    id=new_id("image"),
                    key_id=job.key_id,
                    job_id=job.id,
                    job_index=index,
                    name=params.name,
                    width=image.width,
                    height=image.height,
                    format=params.format,
                    size=len(data),
                    storage_key=key,
                    prompt=params.prompt,
                    negative_prompt=params.negative_prompt,
                    seed=seed,
                    model=params.model,
                    style=params.style,
                    created_at=now,
                    expires_at=now + self.retention,
                )
            )
        if self.queue.complete(self.name, job.id, rows):
            self.storage.delete_prefix(job.id, keep=frozenset(keys))  # an earlier attempt's leftovers
            log.info("worker %s: %s succeeded with %d images", self.name, job.id, len(rows))
        else:
            for key in keys:
                self.storage.delete(key)
            log.info("worker %s: %s was canceled or taken over; its images are discarded", self.name, job.id)

    # The heartbeat thread.

    def _heartbeat_loop(self) -> None:
        lease = self.queue.lease.total_seconds()
        interval = min(1.0, lease / 3)
        sent: dict[str, float] = {}
        renewed = time.monotonic()
        while not self._heartbeat_stop.wait(interval):
            with self._lock:
                progress = {job_id: held.progress for job_id, held in self._held.items()}
            lease_due = time.monotonic() - renewed >= lease / 3
            if not progress or (not lease_due and progress == sent):
                continue
            try:
                alive = self.queue.renew(self.name, progress)
            except Exception:
                log.exception("worker %s: could not renew leases", self.name)
                continue
            sent, renewed = progress, time.monotonic()
            with self._lock:
                for job_id in progress.keys() - alive:
                    if job_id in self._held:
                        self._held[job_id].lost = True

    def _drop(self, job_id: str) -> None:
        with self._lock:
            self._held.pop(job_id, None)
