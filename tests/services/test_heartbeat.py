"""A worker's heartbeat (services/worker/heartbeat.py): from a thread of its own, never the engine's, it
records the models the worker serves and those it holds in memory; a switch of models is told at once, not
at the next beat; a worker that drains, stops or cannot start its model leaves the fleet at once."""

import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest

from sfumato.db.database import Database
from sfumato.db.queue import JobQueue
from sfumato.db.workers import WorkerStore
from sfumato.domain.fleet import Heartbeat
from sfumato.engine.pipeline import DiffusersEngine
from sfumato.services.metrics import Metrics
from sfumato.services.worker import Worker, WorkerOptions
from sfumato.storage import LocalStorage
from tests.conftest import ManualClock, wait_until
from tests.services.test_worker_models import Quick, queue_jobs

LONG = 600.0  # a beat interval no test waits out: what it sees came from the first beat or a poke


class Watched(WorkerStore):
    """The real store, noting which thread wrote each heartbeat."""

    def __init__(self, db: Database) -> None:
        super().__init__(db)
        self.threads: list[str] = []

    def beat(self, beat: Heartbeat, *, forget_before: datetime) -> None:
        self.threads.append(threading.current_thread().name)
        super().beat(beat, forget_before=forget_before)


@pytest.fixture
def store(db: Database) -> Watched:
    return Watched(db)


@pytest.fixture
def make_worker(
    queue: JobQueue, store: Watched, tmp_path: Path, clock: ManualClock, tiny_engine: DiffusersEngine
) -> Iterator[Callable[..., Worker]]:
    built: list[Worker] = []

    def make(factory: Callable[[str], object] | None = None, interval: float = LONG) -> Worker:
        engines = {"tiny": tiny_engine, "tiny-flux": tiny_engine}  # the switch matters, not the pixels
        worker = Worker(
            queue=queue,
            storage=LocalStorage(tmp_path / "images"),
            engine_factory=factory or (lambda name: Quick(engines[name])),  # type: ignore[arg-type]
            clock=clock,
            options=WorkerOptions(poll_seconds=0.05, heartbeat_seconds=interval),
            metrics=Metrics(),
            models=["tiny", "tiny-flux"],
            heartbeats=store,
            name="w-heart",
        )
        built.append(worker)
        return worker

    yield make
    for worker in built:
        worker.stop()


def beats(store: WorkerStore) -> list[Heartbeat]:
    return store.seen_since(datetime(2000, 1, 1).astimezone())


def test_the_heartbeat_says_the_models_and_which_are_loaded_from_its_own_thread(
    make_worker: Callable[..., Worker], store: Watched, queue: JobQueue, key_id: str
) -> None:
    worker = make_worker()
    worker.start()
    assert worker.ready.wait(30)
    wait_until(lambda: [(b.models, b.loaded) for b in beats(store)] == [(["tiny", "tiny-flux"], ["tiny"])])
    # A batch of the other model loads it: the switch is told at once, not at the next beat (600 s away).
    queue_jobs(queue, key_id, ["tiny-flux"])
    wait_until(lambda: [sorted(b.loaded) for b in beats(store)] == [["tiny", "tiny-flux"]])
    assert store.threads and "sfumato-engine" not in store.threads
    assert set(store.threads) == {"sfumato-presence"}


def test_it_beats_again_every_interval(make_worker: Callable[..., Worker], store: Watched) -> None:
    worker = make_worker(interval=0.05)
    worker.start()
    wait_until(lambda: len(store.threads) >= 4)


def test_a_draining_worker_leaves_the_fleet_at_once(
    make_worker: Callable[..., Worker], store: Watched
) -> None:
    worker = make_worker()
    worker.start()
    assert worker.ready.wait(30)
    wait_until(lambda: len(beats(store)) == 1)
    assert worker.serving
    worker.drain(5)
    assert not worker.serving
    wait_until(lambda: beats(store) == [])


def test_a_stopped_worker_leaves_no_heartbeat(make_worker: Callable[..., Worker], store: Watched) -> None:
    worker = make_worker()
    worker.start()
    wait_until(lambda: len(beats(store)) == 1)
    worker.stop()
    assert beats(store) == []


def test_a_worker_whose_model_cannot_start_serves_nothing(
    make_worker: Callable[..., Worker], store: Watched
) -> None:
    release = threading.Event()

    def broken(name: str) -> object:
        release.wait(30)
        raise RuntimeError("CUDA out of memory")

    worker = make_worker(broken)
    worker.start()
    wait_until(lambda: len(beats(store)) == 1)  # it says what it serves while its model loads
    release.set()
    wait_until(lambda: worker.error is not None)
    wait_until(lambda: beats(store) == [])
    assert not worker.serving
