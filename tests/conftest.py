"""Shared fixtures: settings in a temporary folder, a movable clock, the tiny engine, a live app."""

import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import pytest
from fastapi.testclient import TestClient

from sfumato.api.app import create_app
from sfumato.config import Settings
from sfumato.db.database import Database
from sfumato.db.migrate import upgrade
from sfumato.db.queue import JobQueue
from sfumato.db.tables import ApiKey
from sfumato.domain.ids import new_id
from sfumato.engine.pipeline import DiffusersEngine
from sfumato.engine.registry import load_engine
from sfumato.services.container import Services, build_services


def wait_until(condition: Callable[[], bool], seconds: float = 30) -> None:
    """Poll until the condition holds; fail the test after `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


T = TypeVar("T")


def all_at_once(count: int, work: Callable[[], T]) -> tuple[list[T], list[BaseException]]:
    """Run `work` in `count` threads released together; what they returned, and what they raised."""
    start = threading.Barrier(count)
    results: list[T] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run() -> None:
        start.wait()
        try:
            result = work()
        except BaseException as error:  # the caller decides which errors are expected
            with lock:
                errors.append(error)
        else:
            with lock:
                results.append(result)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


class ManualClock:
    """A clock tests move by hand; each reading also ticks 1 ms, so rows keep their order."""

    def __init__(self, start: datetime = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)) -> None:
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            self._now += timedelta(milliseconds=1)
            return self._now

    def advance(self, **delta: float) -> None:
        with self._lock:
            self._now += timedelta(**delta)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # what uvicorn runs the service on


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


def make_settings(folder: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": folder,
        "model": "tiny",
        "lease_seconds": 5.0,
        "poll_seconds": 0.2,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "data")


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    database = Database(settings.database_url)
    upgrade(database)
    yield database
    database.dispose()


QUEUE_LEASE = 30.0


@pytest.fixture
def queue(db: Database, clock: ManualClock) -> JobQueue:
    """A queue on the manual clock: leases lapse when the test moves the clock, never on their own."""
    return JobQueue(db, clock, lease_seconds=QUEUE_LEASE, max_attempts=3)


@pytest.fixture
def key_id(db: Database, clock: ManualClock) -> str:
    """A key row to own jobs, for tests below the API."""
    key = ApiKey(
        id=new_id("key"),
        name="k",
        key_hash=new_id("hash"),
        prefix="sfm_",
        plan="starter",
        is_admin=False,
        created_at=clock.now(),
    )
    with db.write() as session:
        session.add(key)
    return key.id


@pytest.fixture(scope="session")
def tiny_engine() -> DiffusersEngine:
    """One tiny pipeline for the whole run; building it is cheap, but not free."""
    return load_engine("tiny", Settings(model="tiny"))


@dataclass
class Live:
    """A running app (its worker thread included) and a way to make keys for it."""

    client: TestClient
    services: Services

    def key(self, name: str = "test", **options: object) -> dict[str, str]:
        """Headers carrying a fresh key: each test works under its own key, so tests never see each other."""
        _, raw = self.services.keys.create(name, **options)  # type: ignore[arg-type]
        return {"x-api-key": raw}

    @property
    def storage_root(self) -> Path:
        return Path(self.services.settings.storage_url.removeprefix("file://"))


def start_live(
    settings: Settings,
    engine: DiffusersEngine,
    *,
    clock: object | None = None,
    with_worker: bool = True,
    seeds: Callable[[], int] | None = None,
) -> Iterator[Live]:
    def factory() -> Services:
        extra: dict[str, object] = {}
        if clock is not None:
            extra["clock"] = clock
        if seeds is not None:
            extra["seeds"] = seeds
        return build_services(settings, with_worker=with_worker, engine_factory=lambda: engine, **extra)  # type: ignore[arg-type]

    app = create_app(settings, services_factory=factory)
    with TestClient(app, raise_server_exceptions=False) as client:
        services: Services = app.state.services
        if services.worker is not None:
            assert services.worker.ready.wait(60), services.worker.error
        yield Live(client, services)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, tiny_engine: DiffusersEngine) -> Iterator[Live]:
    """One app for a test module; tests stay apart by using their own keys."""
    yield from start_live(make_settings(tmp_path_factory.mktemp("live")), tiny_engine)


SMALL = {"width": 256, "height": 256}  # the cheapest size: tests that need no larger use it


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A redis-server of the tests' own, on a free loopback port, for the whole run
    (scripts/system-packages installs it where it is missing)."""
    import redis

    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is missing: run scripts/system-packages (scripts/test does)")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    folder = tmp_path_factory.mktemp("redis")
    server = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(folder),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)

    def answers() -> bool:
        try:
            return bool(client.ping())
        except redis.ConnectionError:
            return False

    try:
        wait_until(answers, 30)
        yield url
    finally:
        client.close()
        server.terminate()
        server.wait(30)
