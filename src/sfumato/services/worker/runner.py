"""The runner: one claimed batch through the engine, on the engine thread.

A job fails alone: a prompt that cannot be encoded fails its own job (the engine reports it in its
place), and a batch whose call fails as a whole is run again one job at a time, so only the job that
fails alone is failed. Jobs dropped mid-batch (canceled, taken over, or the worker stopping) are handed
back to the queue unless another worker holds them now; the images made go to the finisher.
"""

import logging
import threading
import time
from collections.abc import Callable, Sequence

from PIL.Image import Image

from sfumato.db.queue import JobQueue
from sfumato.domain.clock import Clock
from sfumato.domain.errors import SfumatoError
from sfumato.engine.base import Engine, GenerationCanceled, Outcome, Rendered, RenderJob
from sfumato.services.metrics import Metrics
from sfumato.services.worker.held_jobs import HeldJob, HeldJobs

log = logging.getLogger(__name__)

RenderedBatch = list[tuple[HeldJob, Rendered]]


class Runner:
    def __init__(
        self,
        queue: JobQueue,
        held: HeldJobs,
        clock: Clock,
        metrics: Metrics,
        *,
        owner: str,
        stopping: threading.Event,
        on_last_step: Callable[[], None],
        on_finished: Callable[[str], None],
    ) -> None:
        self.queue = queue
        self.held = held
        self.clock = clock
        self.metrics = metrics
        self.owner = owner
        self.stopping = stopping
        self.on_last_step = on_last_step  # the claimer's cue to claim the next batch
        self.on_finished = on_finished

    def run(self, engine: Engine, batch: list[HeldJob]) -> RenderedBatch:
        """Make the batch's images; end the jobs that failed, hand back those dropped; what was made."""
        renders = [
            RenderJob.for_params(held.params, held.picture, held.mask, held.adapters) for held in batch
        ]
        log.info(
            "worker %s: generating %d images for %s",
            self.owner,
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
                    "worker %s: a batch of %d failed (%s); one at a time", self.owner, len(batch), error
                )
                outcomes = []
                for held, render in zip(batch, renders, strict=True):
                    try:
                        outcomes += self._render(engine, [held], [render])
                    except Exception as alone:
                        outcomes.append(alone)
        return self._settle(batch, outcomes)

    def hand_back(self, batch: list[HeldJob]) -> None:
        """Give a batch back to the queue untouched (not this worker's to run)."""
        self._settle(batch, [None] * len(batch))

    def fail(self, batch: list[HeldJob], error: Exception) -> None:
        """End every job of a batch that cannot run (its model would not load)."""
        self._settle(batch, [error] * len(batch))

    def _settle(self, batch: list[HeldJob], outcomes: list[Outcome]) -> RenderedBatch:
        made: RenderedBatch = []
        handed_back: list[str] = []
        for held, outcome in zip(batch, outcomes, strict=True):
            job_id = held.job.id
            if isinstance(outcome, Rendered):
                made.append((held, outcome))
                continue
            self.held.drop(job_id)
            if outcome is None:  # dropped: canceled, taken over, or this worker is stopping
                if not held.lost:
                    handed_back.append(job_id)
            else:
                log.error("worker %s: %s failed: %r", self.owner, job_id, outcome)
                if self.queue.fail(self.owner, job_id, "generation_failed", failure_message(outcome)):
                    self.metrics.job_ended("failed", (self.clock.now() - held.job.created_at).total_seconds())
                self.on_finished(job_id)
        if handed_back:  # another worker, or this one restarted, takes them
            self.queue.release(self.owner, handed_back)
            log.info("worker %s: handed %s back", self.owner, handed_back)
        return made

    def _render(
        self, engine: Engine, batch: Sequence[HeldJob], renders: Sequence[RenderJob]
    ) -> list[Outcome]:
        def on_step(done: int, total: int) -> None:
            for held in batch:
                held.progress = done / total
            if done >= total - 1:  # the last step is running: the database's turn overlaps the GPU's
                self.on_last_step()

        def on_preview(index: int, picture: Image) -> None:
            self.held.show(batch[index], picture)  # the lease keeper sends it with the progress

        wanted = {"on_preview": on_preview} if any(render.previews for render in renders) else {}
        started = time.monotonic()
        try:
            outcomes = engine.render(
                renders,
                on_step=on_step,
                keep=lambda index: not batch[index].lost and not self.stopping.is_set(),
                **wanted,
            )
        except GenerationCanceled:
            return [None] * len(batch)
        self.metrics.generation_seconds.observe(time.monotonic() - started)
        self.metrics.batch_images.observe(sum(len(render.seeds) for render in renders))
        return outcomes


def failure_message(error: BaseException) -> str:
    """What a client reads of a failed generation: words, never the exception's text (the log has it)."""
    if "out of memory" in str(error).lower():
        return "the GPU ran out of memory for this job; a smaller size or fewer images may fit"
    if isinstance(error, SfumatoError):
        return error.message
    return "the model could not make this job's images"
