"""The worker: claims batches of jobs, runs the engine, stores the images, ends the jobs.

Three threads and two pools, so the engine never waits on the database or on encoding:
- the engine thread makes a batch's images in one pipeline call and hands them on; when the batch
  reaches its last denoising step, the claimer (a pool of one) claims the next batch: the oldest
  queued job and compatible ones (domain.batching), topped up for a few milliseconds under load;
- the finisher encodes and stores the images (on a small pool of threads) and ends each job in its
  own transaction, while the engine thread is already on the next batch;
- the heartbeat renews the leases of the jobs in hand, records their progress, and marks a job that
  was canceled or whose lease was lost, so the engine drops it from the batch at the next step.

A job fails alone: a prompt that cannot be encoded fails its own job, and a batch whose call fails is
run again one job at a time, so only the job that fails alone is failed.

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
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from queue import Queue

from PIL.Image import Image as PILImage

from sfumato.db.database import retry
from sfumato.db.queue import JobQueue
from sfumato.db.tables import Image, Job
from sfumato.domain.clock import Clock
from sfumato.domain.generation import JobParams
from sfumato.domain.ids import new_id, new_public_token
from sfumato.engine.base import Engine, GenerationCanceled, Outcome, Rendered, RenderJob
from sfumato.engine.encode import encode_image, file_parameters
from sfumato.services.metrics import Metrics
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
        batch_images: int = 8,
        batch_wait_seconds: float = 0.01,
        encode_threads: int = 2,
        on_finished: Callable[[str], None] = lambda job_id: None,
        name: str | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.queue = queue
        self.storage = storage
        self.engine_factory = engine_factory
        self.clock = clock
        self.retention = timedelta(days=retention_days)
        self.poll_seconds = poll_seconds
        self.batch_images = batch_images
        self.batch_wait = batch_wait_seconds
        self.on_finished = on_finished
        self.name = name or worker_name()
        self.metrics = metrics or Metrics()
        self.ready = threading.Event()
        self.error: str | None = None  # why the engine could not start

        self._stopping = threading.Event()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._held: dict[str, _Held] = {}
        self._finishing: Queue[list[tuple[_Held, Rendered]] | None] = Queue(maxsize=1)
        self._encoders = ThreadPoolExecutor(encode_threads, thread_name_prefix="sfumato-encode")
        self._claimer = ThreadPoolExecutor(1, thread_name_prefix="sfumato-claim")
        self._ahead: Future[list[_Held]] | None = None  # the next batch, claimed while this one runs
        self._heartbeat_stop = threading.Event()
        self._last_sweep = 0.0
        self._last_batch_jobs = 0
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
        """Stop the batch being generated at its next step and hand it back; finish those already made."""
        self._stopping.set()
        self._wake.set()
        if not self._engine_thread.is_alive() and not self._finisher.is_alive():
            return  # never started, or already stopped
        self._engine_thread.join(timeout)
        self._finishing.put(None)  # after the engine's last hand-over: the finisher drains, then ends
        self._finisher.join(timeout)
        self._encoders.shutdown()
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
                jobs = self._next_batch()
            except Exception:  # the database is away: keep the worker alive and look again
                log.exception("worker %s: cannot reach the queue", self.name)
                self._stopping.wait(self.poll_seconds)
                continue
            if not jobs:
                self._wake.wait(self.poll_seconds)
                self._wake.clear()
                continue
            try:
                self._generate(engine, jobs)
            except Exception:  # could not record the outcome; the jobs' leases will lapse
                log.exception("worker %s: lost track of %s", self.name, [held.job.id for held in jobs])
                for held in jobs:
                    self._drop(held.job.id)
        self._release_ahead()

    def _next_batch(self) -> list[_Held]:
        """The batch claimed ahead while the last one finished denoising, or a fresh claim."""
        ahead, self._ahead = self._ahead, None
        return ahead.result() if ahead is not None else self._look()

    def _look(self) -> list[_Held]:
        """Sweep, claim, and hold: from here the heartbeat renews the jobs' leases."""
        self._sweep()
        batch = [_Held(job, JobParams.from_dict(job.params)) for job in self._claim()]
        with self._lock:
            for held in batch:
                self._held[held.job.id] = held
        return batch

    def _claim_ahead(self) -> None:
        """Claim the next batch on another thread while the engine runs the last step and the decoder."""
        if self._ahead is None and not self._stopping.is_set():
            self._ahead = self._claimer.submit(self._look)

    def _release_ahead(self) -> None:
        """Stopping: a batch claimed ahead goes back untouched, its attempt not counted."""
        ahead, self._ahead = self._ahead, None
        try:
            batch = ahead.result() if ahead is not None else []
            for held in batch:
                self._drop(held.job.id)
            if batch:
                self.queue.release(self.name, [held.job.id for held in batch])
        except Exception:
            log.exception("worker %s: could not hand back the batch claimed ahead", self.name)
        self._claimer.shutdown()

    def _claim(self) -> list[Job]:
        """A batch: the oldest queued job and compatible ones, topped up for a few milliseconds.

        The wait is spent only under load (the last batch held several jobs): a lone client's
        request starts at once.
        """
        if not self.queue.has_queued():
            return []
        self._wake.clear()
        jobs = self.queue.claim_batch(self.name, self.batch_images)
        if not jobs:
            return []
        images = sum(job.n for job in jobs)
        deadline = time.monotonic() + (self.batch_wait if self._last_batch_jobs > 1 else 0.0)
        while images < self.batch_images and not self._stopping.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                break
            self._wake.wait(left)  # a submission in this process, or the deadline: look once more
            self._wake.clear()
            more = self.queue.claim_batch(self.name, self.batch_images - images, batch_key=jobs[0].batch_key)
            jobs += more
            images += sum(job.n for job in more)
        self._last_batch_jobs = len(jobs)
        return jobs

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

    def _generate(self, engine: Engine, batch: list[_Held]) -> None:
        renders = [RenderJob.for_params(held.params) for held in batch]
        log.info(
            "worker %s: generating %d images for %s",
            self.name,
            sum(len(render.seeds) for render in renders),
            ", ".join(f"{held.job.id} (attempt {held.job.attempts})" for held in batch),
        )
        try:
            outcomes = self._render(engine, batch, renders)
        except Exception as error:
            if len(batch) == 1:
                outcomes = [error]
            else:  # find the job at fault: each alone, so the others still succeed
                log.warning(
                    "worker %s: a batch of %d failed (%s); one at a time", self.name, len(batch), error
                )
                outcomes = []
                for held, render in zip(batch, renders, strict=True):
                    try:
                        outcomes += self._render(engine, [held], [render])
                    except Exception as alone:
                        outcomes.append(alone)

        made: list[tuple[_Held, Rendered]] = []
        handed_back: list[str] = []
        for held, outcome in zip(batch, outcomes, strict=True):
            job_id = held.job.id
            if isinstance(outcome, Rendered):
                made.append((held, outcome))
                continue
            self._drop(job_id)
            if outcome is None:  # dropped: canceled, taken over, or this worker is stopping
                if not held.lost:
                    handed_back.append(job_id)
            else:
                log.error("worker %s: %s failed: %r", self.name, job_id, outcome)
                if self.queue.fail(
                    self.name, job_id, "generation_failed", f"{type(outcome).__name__}: {outcome}"
                ):
                    self._observe_end(held.job, "failed")
                self.on_finished(job_id)
        if handed_back:  # another worker, or this one restarted, takes them
            self.queue.release(self.name, handed_back)
            log.info("worker %s: handed %s back", self.name, handed_back)
        if made:
            self._finishing.put(made)  # waits while the finisher is a whole batch behind

    def _render(self, engine: Engine, batch: Sequence[_Held], renders: Sequence[RenderJob]) -> list[Outcome]:
        def on_step(done: int, total: int) -> None:
            for held in batch:
                held.progress = done / total
            if done >= total - 1:  # the last step is running: the database's turn overlaps the GPU's
                self._claim_ahead()

        started = time.monotonic()
        try:
            outcomes = engine.render(
                renders,
                on_step=on_step,
                keep=lambda index: not batch[index].lost and not self._stopping.is_set(),
            )
        except GenerationCanceled:
            return [None] * len(batch)
        self.metrics.generation_seconds.observe(time.monotonic() - started)
        self.metrics.batch_images.observe(sum(len(render.seeds) for render in renders))
        return outcomes

    # The finisher thread.

    def _finish_loop(self) -> None:
        while (made := self._finishing.get()) is not None:
            # Every image of the batch goes to the encoders at once; each job ends when its own are stored.
            stored = [(held, rendered, self._store_all(held, rendered.images)) for held, rendered in made]
            for held, rendered, files in stored:
                try:
                    self._finish(held, rendered, [file.result() for file in files])
                except Exception as error:
                    log.exception("worker %s: could not store %s", self.name, held.job.id)
                    self._discard(files)
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

    def _store_all(self, held: _Held, images: list[PILImage]) -> list[Future[Image]]:
        if held.lost:
            return []
        seeds = held.params.seeds()
        return [
            self._encoders.submit(self._store, held, index, image, seeds[index])
            for index, image in enumerate(images)
        ]

    def _store(self, held: _Held, index: int, image: PILImage, seed: int) -> Image:
        """Encode and store one image; its row, not yet added, for the job's transaction."""
        job, params = held.job, held.params
        data = encode_image(
            image, params.format, quality=params.quality, parameters=file_parameters(params, seed)
        )
        key = f"{job.id}/{job.attempts}-{index}.{params.format}"
        self.storage.put(key, data)
        now = self.clock.now()
        return Image(
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
            access_token=new_public_token(),
        )

    def _discard(self, files: list[Future[Image]]) -> None:
        for file in files:
            if not file.exception():
                self.storage.delete(file.result().storage_key)

    def _finish(self, held: _Held, rendered: Rendered, rows: list[Image]) -> None:
        job = held.job
        if held.lost:
            for row in rows:
                self.storage.delete(row.storage_key)
            return
        warnings = held.params.notes() + rendered.warnings
        completed = retry(  # through a database restart, rather than generate it all again
            lambda: self.queue.complete(self.name, job.id, rows, warnings),
            seconds=self.queue.lease.total_seconds() / 2,
        )
        if completed:
            self._observe_end(job, "succeeded")
            self.metrics.images.inc(len(rows))
            keys = frozenset(row.storage_key for row in rows)
            self.storage.delete_prefix(job.id, keep=keys)  # an earlier attempt's leftovers
            log.info("worker %s: %s succeeded with %d images", self.name, job.id, len(rows))
        else:
            for row in rows:
                self.storage.delete(row.storage_key)
            log.info("worker %s: %s was canceled or taken over; its images are discarded", self.name, job.id)

    def _observe_end(self, job: Job, status: str) -> None:
        self.metrics.job_seconds.labels(status).observe((self.clock.now() - job.created_at).total_seconds())

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
