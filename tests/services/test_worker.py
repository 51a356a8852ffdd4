"""The worker over the real tiny engine: jobs end once, with their images, whatever happens meanwhile."""

import io
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select

from sfumato.db.database import Database
from sfumato.db.queue import JobQueue
from sfumato.db.tables import ImageRow, JobRow
from sfumato.domain.generation import GenerationRequest
from sfumato.domain.ids import new_id
from sfumato.domain.jobs import Job
from sfumato.domain.models import MODELS
from sfumato.engine.base import KeepCheck, Outcome, RenderJob, StepCallback
from sfumato.engine.pipeline import DiffusersEngine
from sfumato.services.worker import Worker, WorkerOptions
from sfumato.storage import LocalStorage, Storage
from tests.conftest import QUEUE_LEASE, ManualClock, wait_until

LEASE = QUEUE_LEASE


class Hooked:
    """The tiny engine, with a hook to fail or hold a chosen prompt, and a record of its calls."""

    def __init__(
        self,
        engine: DiffusersEngine,
        hook: Callable[[RenderJob], None] = lambda job: None,
        calls: list[list[str]] | None = None,
        after: Callable[[Sequence[RenderJob]], None] = lambda jobs: None,
    ) -> None:
        self.engine, self.hook, self.after, self.spec = engine, hook, after, engine.spec
        self.calls = calls if calls is not None else []  # the prompts of each pipeline call

    def render(
        self, jobs: Sequence[RenderJob], *, on_step: StepCallback | None = None, keep: KeepCheck | None = None
    ) -> list[Outcome]:
        self.calls.append([job.prompt for job in jobs])
        for job in jobs:
            self.hook(job)
        outcomes = self.engine.render(jobs, on_step=on_step, keep=keep)
        self.after(jobs)
        return outcomes

    def warmup(self) -> None:
        pass


@pytest.fixture
def storage(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "images")


@pytest.fixture
def make_worker(
    queue: JobQueue, storage: LocalStorage, clock: ManualClock, tiny_engine: DiffusersEngine
) -> Iterator[Callable[..., Worker]]:
    started: list[Worker] = []

    def make(
        hook: Callable[[RenderJob], None] = lambda job: None,
        finished: list[str] | None = None,
        calls: list[list[str]] | None = None,
        storage: Storage = storage,
        after: Callable[[Sequence[RenderJob]], None] = lambda jobs: None,
        **options: Any,
    ) -> Worker:
        worker = Worker(
            queue=queue,
            storage=storage,
            engine_factory=lambda: Hooked(tiny_engine, hook, calls, after),
            clock=clock,
            options=WorkerOptions(retention_days=30, poll_seconds=0.05, **options),
            on_finished=(finished.append if finished is not None else lambda job_id: None),
        )
        worker.start()
        started.append(worker)
        assert worker.ready.wait(10)
        return worker

    yield make
    for worker in started:
        worker.stop()


def submit(queue: JobQueue, key_id: str, **fields: object) -> str:
    return submit_together(queue, key_id, [fields])[0]


def submit_together(queue: JobQueue, key_id: str, each: Sequence[dict[str, object]]) -> list[str]:
    """Queue one job per entry in one transaction: a worker's claim sees all of them or none."""
    defaults: dict[str, object] = {"prompt": "a cat", "width": 256, "height": 256, "seed": 5}
    with queue.db.write() as session:
        return [
            queue.add(
                session,
                job_id=new_id("job"),
                key_id=key_id,
                params=GenerationRequest(**(defaults | fields)).resolve(MODELS["tiny"], seed=0),  # type: ignore[arg-type]
            ).id
            for fields in each
        ]


def job_of(db: Database, job_id: str) -> JobRow:
    with db.read() as session:
        job = session.get(JobRow, job_id)
        assert job is not None
        return job


def images_of(db: Database, job_id: str) -> list[ImageRow]:
    with db.read() as session:
        return list(
            session.scalars(select(ImageRow).where(ImageRow.job_id == job_id).order_by(ImageRow.job_index))
        )


def files(storage: LocalStorage) -> list[str]:
    return sorted(p.relative_to(storage.root).as_posix() for p in storage.root.rglob("*") if p.is_file())


def ended(db: Database, job_id: str) -> Callable[[], bool]:
    return lambda: job_of(db, job_id).status in ("succeeded", "failed", "canceled")


def test_a_job_ends_succeeded_with_its_images_stored(
    make_worker: Callable[..., Worker], queue: JobQueue, db: Database, storage: LocalStorage, key_id: str
) -> None:
    finished: list[str] = []
    make_worker(finished=finished)
    job_id = submit(queue, key_id, n=2, seed=100, format="webp", name="pair")
    wait_until(ended(db, job_id))
    job = job_of(db, job_id)
    assert (job.status, job.progress, job.attempts) == ("succeeded", 1.0, 1)
    images = images_of(db, job_id)
    assert [(i.job_index, i.seed, i.format, i.name) for i in images] == [
        (0, 100, "webp", "pair"),
        (1, 101, "webp", "pair"),
    ]
    assert files(storage) == sorted(i.storage_key for i in images)
    assert all(
        storage.get(i.storage_key)[8:12] == b"WEBP" and len(storage.get(i.storage_key)) == i.size
        for i in images
    )
    assert finished == [job_id]


def test_progress_is_visible_while_the_job_runs(
    make_worker: Callable[..., Worker], queue: JobQueue, db: Database, key_id: str
) -> None:
    make_worker()
    job_id = submit(queue, key_id, width=1024, height=1024, steps=30)
    wait_until(lambda: 0 < job_of(db, job_id).progress < 1)
    assert job_of(db, job_id).status == "processing"
    queue.cancel(job_id, key_id)


def test_one_failing_job_fails_alone(
    make_worker: Callable[..., Worker], queue: JobQueue, db: Database, key_id: str
) -> None:
    def hook(job: RenderJob) -> None:
        if job.prompt == "boom":
            raise RuntimeError("out of memory")

    make_worker(hook)
    bad, good = submit(queue, key_id, prompt="boom"), submit(queue, key_id)
    wait_until(ended(db, good))
    wait_until(ended(db, bad))
    failed = job_of(db, bad)
    assert (failed.status, failed.error_code, failed.error_message) == (
        "failed",
        "generation_failed",
        "the GPU ran out of memory for this job; a smaller size or fewer images may fit",
    )
    assert images_of(db, bad) == []
    assert job_of(db, good).status == "succeeded"


def test_a_job_canceled_while_generating_stops_and_keeps_nothing(
    make_worker: Callable[..., Worker], queue: JobQueue, db: Database, storage: LocalStorage, key_id: str
) -> None:
    make_worker()
    job_id = submit(queue, key_id, width=1024, height=1024, steps=40)
    wait_until(lambda: job_of(db, job_id).progress > 0)
    assert queue.cancel(job_id, key_id)
    progress_at_cancel = job_of(db, job_id).progress
    other = submit(queue, key_id)  # the worker moves on within a step or so
    wait_until(ended(db, other), 15)
    job = job_of(db, job_id)
    assert job.status == "canceled" and job.progress < 1 and job.progress == progress_at_cancel
    assert images_of(db, job_id) == [] and not any(f.startswith(job_id) for f in files(storage))


def test_a_worker_that_lost_its_lease_discards_its_work(
    make_worker: Callable[..., Worker],
    queue: JobQueue,
    db: Database,
    storage: LocalStorage,
    key_id: str,
    clock: ManualClock,
) -> None:
    hold = threading.Event()
    worker = make_worker(lambda job: hold.wait(10))
    job_id = submit(queue, key_id)
    wait_until(lambda: job_of(db, job_id).status == "processing")
    clock.advance(seconds=LEASE + 1)  # the worker looks dead: its job goes to another
    queue.requeue_expired()
    (taken,) = queue.claim("other-worker")
    hold.set()
    # Waited for the first worker to let the job go (not a sleep): only then is "it kept nothing" proven.
    wait_until(lambda: job_id not in worker._held.progress(), 60)
    assert files(storage) == []
    assert queue.complete("other-worker", job_id, [])
    assert job_of(db, job_id).lease_owner == "other-worker"
    assert taken.attempts == 2


def test_files_left_by_a_crashed_attempt_are_deleted_once_the_job_succeeds(
    make_worker: Callable[..., Worker],
    queue: JobQueue,
    db: Database,
    storage: LocalStorage,
    key_id: str,
    clock: ManualClock,
) -> None:
    job_id = submit(queue, key_id)
    queue.claim("crashed-worker")
    storage.put(f"{job_id}/1-0.png", b"written, then the process died before its commit")
    clock.advance(seconds=LEASE + 1)
    make_worker()
    wait_until(ended(db, job_id))
    (image,) = images_of(db, job_id)
    assert image.storage_key == f"{job_id}/2-0.png"
    assert files(storage) == [image.storage_key]


def test_stopping_hands_the_running_job_back(
    make_worker: Callable[..., Worker], queue: JobQueue, db: Database, key_id: str
) -> None:
    worker = make_worker()
    job_id = submit(queue, key_id, width=1024, height=1024, steps=40)
    wait_until(lambda: job_of(db, job_id).progress > 0)
    worker.stop()
    job = job_of(db, job_id)
    assert (job.status, job.attempts, job.lease_owner) == ("queued", 0, None)


def test_draining_finishes_the_batch_in_hand_and_claims_nothing_more(
    make_worker: Callable[..., Worker], queue: JobQueue, db: Database, key_id: str
) -> None:
    hold = threading.Event()
    worker = make_worker(lambda job: hold.wait(10))
    job_id = submit(queue, key_id)
    wait_until(lambda: job_of(db, job_id).status == "processing")
    worker.drain(30)
    waiting = submit(queue, key_id, prompt="after the drain began", width=512)  # not of the batch in hand
    hold.set()
    wait_until(ended(db, job_id), 15)
    worker.stop()  # returns once the batch in hand is finished: well within the 30 s
    assert job_of(db, job_id).status == "succeeded" and len(images_of(db, job_id)) == 1
    waited = job_of(db, waiting)
    assert (waited.status, waited.attempts, waited.lease_owner) == ("queued", 0, None)


def test_a_batch_that_outlasts_the_drain_is_handed_back_at_its_deadline(
    make_worker: Callable[..., Worker], queue: JobQueue, db: Database, key_id: str
) -> None:
    worker = make_worker()
    job_id = submit(queue, key_id, width=1024, height=1024, steps=40)
    wait_until(lambda: job_of(db, job_id).progress > 0)
    worker.drain(0.5)
    assert job_of(db, job_id).status == "processing"  # draining alone stops nothing
    started = time.monotonic()
    worker.stop()
    assert time.monotonic() - started < 10  # the deadline, then a step: not the whole job
    job = job_of(db, job_id)
    assert (job.status, job.attempts, job.lease_owner) == ("queued", 0, None)


def test_a_model_that_cannot_load_is_reported_not_raised(
    queue: JobQueue, storage: LocalStorage, clock: ManualClock
) -> None:
    def broken() -> DiffusersEngine:
        raise OSError("weights are corrupt")

    worker = Worker(
        queue=queue,
        storage=storage,
        engine_factory=broken,
        clock=clock,
        options=WorkerOptions(poll_seconds=0.05),
    )
    worker.start()
    wait_until(lambda: worker.error is not None, 5)
    assert worker.error == "the model could not start: OSError: weights are corrupt"
    assert not worker.ready.is_set()
    worker.stop()


def test_compatible_queued_jobs_run_in_one_pipeline_call(
    make_worker: Callable[..., Worker], queue: JobQueue, db: Database, key_id: str
) -> None:
    jobs = [submit(queue, key_id, prompt=f"cat {i}", seed=i) for i in range(3)]
    larger = submit(queue, key_id, prompt="larger", width=512)
    jobs.append(submit(queue, key_id, prompt="cat 3", n=2, format="jpeg"))
    calls: list[list[str]] = []
    make_worker(calls=calls)
    for job_id in [*jobs, larger]:
        wait_until(ended(db, job_id))
    assert calls == [["cat 0", "cat 1", "cat 2", "cat 3"], ["larger"]]
    assert all(job_of(db, job_id).status == "succeeded" for job_id in jobs)
    assert [len(images_of(db, job_id)) for job_id in jobs] == [1, 1, 1, 2]
    assert [image.seed for image in images_of(db, jobs[3])] == [5, 6]


def test_a_batch_holds_at_most_its_budget_of_images(
    make_worker: Callable[..., Worker], queue: JobQueue, db: Database, key_id: str
) -> None:
    jobs = [submit(queue, key_id, prompt=f"p{i}", n=2) for i in range(3)]
    calls: list[list[str]] = []
    make_worker(calls=calls, batch_images=4)
    for job_id in jobs:
        wait_until(ended(db, job_id))
    assert calls == [["p0", "p1"], ["p2"]]


def test_under_load_a_short_wait_lets_a_batch_fill(
    make_worker: Callable[..., Worker], queue: JobQueue, db: Database, key_id: str
) -> None:
    calls: list[list[str]] = []
    # A wait far longer than any run here: a job that waited for it could not end within the deadlines below.
    worker = make_worker(calls=calls, batch_wait_seconds=600.0, batch_images=2)
    lone = submit(queue, key_id, prompt="lone")
    worker.wake()
    wait_until(ended(db, lone), 120)  # no load seen yet: it started without the wait
    # Both in one transaction: a poll between two separate submissions would claim the first alone.
    busy = submit_together(queue, key_id, [{"prompt": f"busy {i}"} for i in range(2)])
    worker.wake()
    wait_until(ended(db, busy[1]), 120)  # two at once fill the batch: no wait either
    first = submit(queue, key_id, prompt="first")
    worker.wake()
    wait_until(lambda: job_of(db, first).status == "processing")  # under load: held, waiting for company
    second = submit(queue, key_id, prompt="second")
    worker.wake()
    wait_until(ended(db, second))
    assert job_of(db, first).status == "succeeded"
    assert calls == [["lone"], ["busy 0", "busy 1"], ["first", "second"]]


def test_a_failing_batch_is_retried_one_job_at_a_time_and_only_the_culprit_fails(
    make_worker: Callable[..., Worker], queue: JobQueue, db: Database, key_id: str
) -> None:
    def hook(job: RenderJob) -> None:
        if job.prompt == "boom":
            raise RuntimeError("out of memory")

    jobs = [
        submit(queue, key_id, prompt="a"),
        submit(queue, key_id, prompt="boom"),
        submit(queue, key_id, prompt="b"),
    ]
    calls: list[list[str]] = []
    make_worker(hook, calls=calls)
    for job_id in jobs:
        wait_until(ended(db, job_id))
    assert calls == [["a", "boom", "b"], ["a"], ["boom"], ["b"]]
    assert [job_of(db, job_id).status for job_id in jobs] == ["succeeded", "failed", "succeeded"]


def test_canceling_one_job_of_a_batch_spares_the_others(
    make_worker: Callable[..., Worker], queue: JobQueue, db: Database, storage: LocalStorage, key_id: str
) -> None:
    # Long enough to cancel mid-way on a fast machine; a late cancel ends the same (the doomed job's commit
    # finds it canceled), so the deadlines below only bound a slow one.
    fields = {"width": 512, "height": 512, "steps": 30}
    doomed, kept = (
        submit(queue, key_id, prompt="doomed", **fields),
        submit(queue, key_id, prompt="kept", **fields),
    )
    calls: list[list[str]] = []
    make_worker(calls=calls)
    wait_until(lambda: job_of(db, doomed).progress > 0, 120)
    assert queue.cancel(doomed, key_id)
    wait_until(ended(db, kept), 240)
    assert calls == [["doomed", "kept"]]
    assert job_of(db, kept).status == "succeeded" and len(images_of(db, kept)) == 1
    assert job_of(db, doomed).status == "canceled" and images_of(db, doomed) == []
    assert not any(name.startswith(doomed) for name in files(storage))


class SlowStorage(LocalStorage):
    """Local storage whose writes wait for the test's word."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.open = threading.Event()

    def put(self, key: str, data: bytes) -> None:
        assert self.open.wait(30)
        super().put(key, data)


def test_the_engine_goes_on_to_the_next_batch_while_the_last_is_being_stored(
    make_worker: Callable[..., Worker], queue: JobQueue, db: Database, key_id: str, tmp_path: Path
) -> None:
    slow = SlowStorage(tmp_path / "slow")
    calls: list[list[str]] = []
    worker = make_worker(calls=calls, storage=slow)
    first = submit(queue, key_id, prompt="first")
    worker.wake()
    wait_until(lambda: calls == [["first"]])
    second = submit(queue, key_id, prompt="second")
    worker.wake()
    wait_until(lambda: calls == [["first"], ["second"]])  # made while "first" is not yet stored
    assert job_of(db, first).status == "processing"
    slow.open.set()
    wait_until(ended(db, second))
    assert job_of(db, first).status == job_of(db, second).status == "succeeded"


def test_the_job_records_what_the_engine_could_not_do(
    make_worker: Callable[..., Worker], queue: JobQueue, db: Database, key_id: str
) -> None:
    make_worker()
    job_id = submit(queue, key_id, prompt="x" * 100, negative_prompt="blurry")
    wait_until(ended(db, job_id))
    warnings = job_of(db, job_id).warnings
    assert warnings is not None and len(warnings) == 2
    assert warnings[0].startswith("negative_prompt has no effect at guidance_scale 0")
    assert warnings[1].startswith("prompt is 100 tokens long")


def test_the_next_batch_is_claimed_while_the_last_step_runs(
    make_worker: Callable[..., Worker],
    queue: JobQueue,
    db: Database,
    key_id: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    events: list[str] = []
    claim_batch = queue.claim_batch

    def recorded(owner: str, budget: int, **options: Any) -> list[Job]:
        jobs = claim_batch(owner, budget, **options)
        events.extend(f"claimed {job.params.prompt}" for job in jobs)
        return jobs

    monkeypatch.setattr(queue, "claim_batch", recorded)

    release = threading.Event()

    def hook(job: RenderJob) -> None:
        events.append(f"rendering {job.prompt}")
        if job.prompt == "first":  # held until "second" waits in the queue: no race with the test
            assert release.wait(60)

    def after(jobs: Sequence[RenderJob]) -> None:
        events.extend(f"left {job.prompt}" for job in jobs)

    worker = make_worker(hook, after=after)
    first = submit(queue, key_id, prompt="first", steps=8)
    worker.wake()
    wait_until(lambda: "rendering first" in events)
    second = submit(queue, key_id, prompt="second")
    release.set()
    wait_until(ended(db, second))
    # "second" was claimed before "first" left the engine, not after: no database turn between the calls.
    assert events == [
        "claimed first",
        "rendering first",
        "claimed second",
        "left first",
        "rendering second",
        "left second",
    ]
    assert job_of(db, first).status == "succeeded"


def test_stopping_hands_back_a_batch_claimed_ahead(
    make_worker: Callable[..., Worker], queue: JobQueue, db: Database, key_id: str
) -> None:
    made, hold = threading.Event(), threading.Event()

    def after(jobs: Sequence[RenderJob]) -> None:  # each call, once made, waits for the test
        made.set()
        hold.wait(30)

    worker = make_worker(after=after)
    first = submit(queue, key_id, prompt="first")
    second = submit(queue, key_id, prompt="second", width=512)  # another shape: the next batch
    worker.wake()
    assert made.wait(30)
    wait_until(lambda: job_of(db, second).status == "processing")  # claimed while "first" was made
    stopping = threading.Thread(target=worker.stop)
    stopping.start()
    wait_until(worker._stopping.is_set)
    hold.set()
    stopping.join()
    assert (job_of(db, first).status, job_of(db, first).attempts) == ("succeeded", 1)
    assert (job_of(db, second).status, job_of(db, second).attempts) == ("queued", 0)


def test_png_files_are_compressed_at_the_operators_level(
    make_worker: Callable[..., Worker], queue: JobQueue, db: Database, storage: LocalStorage, key_id: str
) -> None:
    """SFUMATO_PNG_COMPRESS_LEVEL reaches the encoder threads: the same image, stored at zlib 0 and 9."""
    stored = {}
    for level in (0, 9):
        worker = make_worker(png_compress_level=level)
        job_id = submit(queue, key_id, seed=21, format="png")
        wait_until(ended(db, job_id))
        worker.stop()
        (image,) = images_of(db, job_id)
        stored[level] = storage.get(image.storage_key)
    assert len(stored[9]) < len(stored[0]) * 0.8
    pixels = {level: Image.open(io.BytesIO(data)).tobytes() for level, data in stored.items()}
    assert pixels[0] == pixels[9]
