"""The fleet's models (services/fleet.py): the live workers' heartbeats and this process's own worker, read
from the worker itself; a queued job of a model no live worker serves is told it waits (read at most once
a second for polls); the models queued jobs ask for that no worker serves."""

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from sfumato.db.database import Database
from sfumato.db.queue import JobQueue
from sfumato.db.workers import WorkerStore
from sfumato.domain.fleet import FleetModel, Heartbeat
from sfumato.engine.pipeline import DiffusersEngine
from sfumato.services.fleet import Fleet
from sfumato.services.metrics import Metrics
from sfumato.services.worker import Worker
from sfumato.storage import LocalStorage
from tests.conftest import ManualClock
from tests.services.test_worker_models import queue_jobs


@pytest.fixture
def own(
    queue: JobQueue, tmp_path: Path, clock: ManualClock, tiny_engine: DiffusersEngine
) -> Iterator[Worker]:
    """This process's worker, as `sfumato serve` embeds it (not started: the fleet only reads it)."""
    worker = Worker(
        queue=queue,
        storage=LocalStorage(tmp_path / "images"),
        engine_factory=lambda name: tiny_engine,
        clock=clock,
        metrics=Metrics(),
        models=["tiny", "tiny-flux"],
        name="own",
    )
    yield worker
    worker.stop()


class Moment:
    def __init__(self) -> None:
        self.seconds = 0.0

    def __call__(self) -> float:
        return self.seconds


@pytest.fixture
def moment() -> Moment:
    return Moment()


@pytest.fixture
def fleet(db: Database, clock: ManualClock, own: Worker, moment: Moment) -> Fleet:
    return Fleet(
        WorkerStore(db),
        db,
        clock,
        own=own,
        configured=["tiny", "tiny-flux"],
        heartbeat_seconds=5.0,
        monotonic=moment,
    )


def beat(fleet: Fleet, clock: ManualClock, name: str, models: list[str], loaded: list[str]) -> None:
    now = clock.now()
    fleet.store.beat(Heartbeat(name, models, loaded, now, now), forget_before=now - timedelta(hours=1))


def test_the_fleet_is_the_live_heartbeats_and_the_own_worker_as_it_is(
    fleet: Fleet, clock: ManualClock
) -> None:
    beat(fleet, clock, "dead", ["sdxl-turbo"], ["sdxl-turbo"])
    clock.advance(seconds=16)  # three beats of 5 s missed, and a little more
    beat(fleet, clock, "other", ["tiny-sd3", "tiny"], ["tiny-sd3"])
    beat(
        fleet, clock, "own", ["sdxl-lightning"], ["sdxl-lightning"]
    )  # its last beat: the worker knows better
    assert fleet.models() == [
        FleetModel("tiny", 2, False),
        FleetModel("tiny-flux", 1, False),
        FleetModel("tiny-sd3", 1, True),
    ]
    assert [worker.name for worker in fleet.workers()] == ["other", "own"]


def test_a_draining_own_worker_serves_nothing(fleet: Fleet, own: Worker) -> None:
    own.drain(0)
    assert fleet.models() == [FleetModel("tiny", 0, False), FleetModel("tiny-flux", 0, False)]
    assert fleet.waiting("tiny") is not None


def test_a_model_no_live_worker_serves_waits_as_polls_see_it_within_a_second(
    fleet: Fleet, clock: ManualClock, moment: Moment
) -> None:
    assert fleet.waiting("tiny-flux") is None  # the own worker's
    notice = fleet.waiting("tiny-sd3")
    assert notice is not None and "tiny-sd3" in notice
    beat(fleet, clock, "sd3-worker", ["tiny-sd3"], [])
    moment.seconds = 0.9
    assert fleet.waiting("tiny-sd3") == notice  # read 0.9 s ago: not read again
    moment.seconds = 1.0
    assert fleet.waiting("tiny-sd3") is None


def test_unserved_are_the_models_of_queued_jobs_no_live_worker_serves(
    fleet: Fleet, clock: ManualClock, queue: JobQueue, key_id: str
) -> None:
    beat(fleet, clock, "sd3-worker", ["tiny-sd3"], [])
    jobs = queue_jobs(queue, key_id, ["tiny", "tiny-sd3", "sdxl-turbo", "flux-random", "sdxl-turbo"])
    assert fleet.unserved() == ["flux-random", "sdxl-turbo"]
    assert queue.cancel(jobs[3], key_id)  # a job that no longer waits asks for nothing
    assert fleet.unserved() == ["sdxl-turbo"]
