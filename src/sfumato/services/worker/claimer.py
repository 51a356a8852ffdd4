"""The claimer: what the worker takes from the queue, and when.

A batch is the next queued job of the models it serves, in the queue's fair order (db.claims), and the
compatible ones whose images fit (domain.batching); after a batch of LoRA adapters, more of the same adapters
first, a few batches in a row at most (`batching.preferred`), since they are loaded here. Under load (the
last batch held several jobs) a batch that is not full waits a few milliseconds for more compatible jobs; a
lone client's request starts at once. How long to wait is decided by two pure functions, `top_up_seconds`
and `next_wait`, tested without threads. While a batch runs its last step, the next one is claimed on the
claimer's own thread, so the database's turn overlaps the GPU's. Every few seconds the claim also requeues
jobs whose workers vanished.
"""

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from sfumato.db.claims import ANY, Wanted
from sfumato.db.queue import JobQueue
from sfumato.domain import batching
from sfumato.domain.errors import SfumatoError
from sfumato.domain.jobs import Job
from sfumato.services.inputs import stored_pictures
from sfumato.services.worker.adapters import AdapterFiles
from sfumato.services.worker.held_jobs import HeldJob, HeldJobs
from sfumato.storage import Storage

log = logging.getLogger(__name__)


def top_up_seconds(last_batch_jobs: int, batch_wait: float) -> float:
    """How long a new batch may wait for more compatible jobs: only under load, when the last batch
    held several jobs."""
    return batch_wait if last_batch_jobs > 1 else 0.0


def next_wait(images: int, budget: int, deadline: float, now: float) -> float | None:
    """How much longer a batch of `images` may wait for more: None when it is full or its time is up."""
    if images >= budget:
        return None
    left = deadline - now
    return left if left > 0 else None


class Claimer:
    def __init__(
        self,
        queue: JobQueue,
        storage: Storage,
        held: HeldJobs,
        *,
        owner: str,
        budget: int,
        batch_wait: float,
        stopping: threading.Event,
        wake: threading.Event,
        on_finished: Callable[[str], None],
        adapter_files: AdapterFiles | None = None,
    ) -> None:
        self.queue = queue
        self.storage = storage
        self.held = held
        self.owner = owner
        self.budget = budget
        self.batch_wait = batch_wait
        self.stopping = stopping
        self.wake = wake
        self.on_finished = on_finished
        self.adapter_files = adapter_files
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="sfumato-claim")
        self._ahead: Future[list[HeldJob]] | None = None  # the next batch, claimed while this one runs
        self._last_sweep = 0.0
        self._last_batch_jobs = 0
        self._last_key: str | None = None  # the last batch's (domain.batching.preferred)
        self._preferred_runs = 0
        # The models it takes jobs of, and which it has loaded now: the worker says, once its engine is up.
        self.wanted: Callable[[], Wanted] = lambda: ANY

    def next_batch(self) -> list[HeldJob]:
        """The batch claimed ahead while the last one finished denoising, or a fresh claim; nothing once
        stopping (a batch claimed ahead is then for `release_ahead`)."""
        if self.stopping.is_set():
            return []
        ahead, self._ahead = self._ahead, None
        return ahead.result() if ahead is not None else self.look()

    def look(self) -> list[HeldJob]:
        """Sweep, claim, and hold: from here the lease keeper renews the jobs' leases. The input pictures
        of image jobs are read here too, off the engine's thread."""
        if self.stopping.is_set():
            return []
        self._sweep()
        batch = [HeldJob(job) for job in self._claim()]
        self.held.hold(batch)
        return [held for held in batch if self._read_inputs(held)]

    def _read_inputs(self, held: HeldJob) -> bool:
        """Read a job's stored input pictures and find its adapters' files; a job whose inputs or adapters
        are gone fails alone."""
        try:
            held.picture, held.mask = stored_pictures(self.storage, held.params)
            if held.params.loras:
                if self.adapter_files is None:
                    raise SfumatoError("this worker runs no LoRA adapters", code="lora_missing")
                held.adapters = self.adapter_files.files(held.params.loras)
            return True
        except Exception as error:
            log.error("worker %s: %s cannot read its input: %r", self.owner, held.job.id, error)
            self.held.drop(held.job.id)
            code, message = "input_missing", "the job's input image could not be read"
            if isinstance(error, SfumatoError):
                code, message = error.code, error.message
            self.queue.fail(self.owner, held.job.id, code, message)
            self.on_finished(held.job.id)
            return False

    def claim_ahead(self) -> None:
        """Claim the next batch on the claimer's thread while the engine runs the last step and decodes."""
        if self._ahead is None and not self.stopping.is_set():
            self._ahead = self._pool.submit(self.look)

    def release_ahead(self) -> None:
        """Stopping: a batch claimed ahead goes back untouched, its attempt not counted."""
        ahead, self._ahead = self._ahead, None
        try:
            batch = ahead.result() if ahead is not None else []
            for held in batch:
                self.held.drop(held.job.id)
            if batch:
                self.queue.release(self.owner, [held.job.id for held in batch])
        except Exception:
            log.exception("worker %s: could not hand back the batch claimed ahead", self.owner)
        self._pool.shutdown()

    def _claim(self) -> list[Job]:
        self.wake.clear()  # before the look: a submission from here on wakes the next one
        jobs = self._first_claim()
        if not jobs:
            return []
        images = sum(job.n for job in jobs)
        deadline = time.monotonic() + top_up_seconds(self._last_batch_jobs, self.batch_wait)
        while not self.stopping.is_set():
            wait = next_wait(images, self.budget, deadline, time.monotonic())
            if wait is None:
                break
            self.wake.wait(wait)  # a submission in this process, or the deadline: look once more
            self.wake.clear()
            more = self.queue.claim_batch(self.owner, self.budget - images, batch_key=jobs[0].batch_key)
            jobs += more
            images += sum(job.n for job in more)
        self._last_batch_jobs = len(jobs)
        return jobs

    def _first_claim(self) -> list[Job]:
        """More of the adapters just run, a few batches in a row (domain.batching.preferred); else the
        oldest queued job and its compatible ones. (The claim's own order is db/queue.py's.)"""
        wanted = batching.preferred(self._last_key, self._preferred_runs)
        jobs = self.queue.claim_batch(self.owner, self.budget, batch_key=wanted) if wanted else []
        self._preferred_runs = self._preferred_runs + 1 if jobs else 0
        if not jobs:
            jobs = self.queue.claim_batch(self.owner, self.budget, wanted=self.wanted())
        self._last_key = jobs[0].batch_key if jobs else None
        return jobs

    def _sweep(self) -> None:
        """Requeue jobs whose workers vanished; a few times a lease, not on every loop."""
        now = time.monotonic()
        if now - self._last_sweep < min(self.queue.lease.total_seconds() / 4, 5.0):
            return
        self._last_sweep = now
        expired = self.queue.requeue_expired()
        if expired.requeued:
            log.warning("worker %s: requeued jobs whose lease lapsed: %s", self.owner, expired.requeued)
        for job_id in expired.failed:
            log.warning("worker %s: %s failed after its last attempt", self.owner, job_id)
            self.storage.delete_prefix(job_id)
            self.on_finished(job_id)
