"""The lease keeper (services/worker/leases.py): it sends progress about every second, and a job's first
preview at once, so a job shorter than a second still shows one (docs/api.md §13); later previews wait for
the tick, so previews add one write per job, not one per step."""

import threading
import time
from collections.abc import Iterator, Mapping
from datetime import timedelta
from typing import Any, cast

import pytest
from PIL import Image

from sfumato.db.queue import JobQueue
from sfumato.services.worker.held_jobs import HeldJob, HeldJobs
from sfumato.services.worker.leases import LeaseKeeper

TICK = 1.0  # the keeper's cadence with a long lease: about a second


class Recorded:
    """A queue that notes each renewal: when, the progress and the previews sent."""

    lease = timedelta(minutes=5)

    def __init__(self) -> None:
        self.sent: list[tuple[float, dict[str, float], dict[str, str]]] = []
        self.lock = threading.Lock()

    def renew(self, owner: str, progress: Mapping[str, float], previews: Mapping[str, str]) -> set[str]:
        with self.lock:
            self.sent.append((time.monotonic(), dict(progress), dict(previews)))
        return set(progress)


class FakeJob:
    def __init__(self, job_id: str) -> None:
        self.id = job_id


@pytest.fixture
def keeper() -> Iterator[tuple[Recorded, HeldJobs]]:
    queue, held = Recorded(), HeldJobs()
    keeper = LeaseKeeper(cast(JobQueue, queue), held, owner="w-leases")
    keeper.start()
    yield queue, held
    keeper.stop(5)


def holding(held: HeldJobs, job_id: str) -> HeldJob:
    job = HeldJob(job=cast(Any, FakeJob(job_id)))
    held.hold([job])
    return job


def picture() -> Image.Image:
    return Image.new("RGB", (8, 8), (200, 40, 40))


def previews_sent(queue: Recorded) -> list[tuple[float, dict[str, str]]]:
    with queue.lock:
        return [(at, shown) for at, _, shown in queue.sent if shown]


def test_a_jobs_first_preview_is_sent_at_once_not_at_the_next_tick(keeper: tuple[Recorded, HeldJobs]) -> None:
    queue, held = keeper
    job = holding(held, "job_short")
    time.sleep(0.05)
    job.progress = 1 / 16
    made = time.monotonic()
    held.show(job, picture())
    deadline = made + TICK / 4
    while not previews_sent(queue) and time.monotonic() < deadline:
        time.sleep(0.01)
    sent = previews_sent(queue)
    assert sent, "the first preview waited for the tick"
    at, shown = sent[0]
    assert at - made < TICK / 4 and set(shown) == {"job_short"}
    assert queue.sent[-1][1] == {"job_short": 1 / 16}  # with the progress it belongs to


def test_later_previews_wait_for_the_tick(keeper: tuple[Recorded, HeldJobs]) -> None:
    queue, held = keeper
    job = holding(held, "job_long")
    started = time.monotonic()
    for step in range(1, 10):  # nine steps, each with its preview, within about a quarter of the tick
        job.progress = step / 30
        held.show(job, picture())
        time.sleep(TICK / 32)
    time.sleep(TICK * 1.2)
    ticks = (time.monotonic() - started) // TICK + 1  # however slow this machine, the ticks that passed
    sent = previews_sent(queue)
    assert 2 <= len(sent) <= 1 + ticks < 9  # the first at once, the others at the ticks: not one per step
    assert queue.sent[-1][1] == {"job_long": 9 / 30}  # the latest, sent once
