"""Shared fixtures: settings in a temporary folder, a movable clock, the tiny engine, a live app."""

import itertools
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import pytest
from fastapi.testclient import TestClient

from sfumato.app import create_app
from sfumato.config import Settings
from sfumato.db.database import Database
from sfumato.db.keys import KeyStore
from sfumato.db.migrate import upgrade
from sfumato.db.queue import JobQueue
from sfumato.domain.ids import new_id, new_webhook_secret
from sfumato.domain.keys import ApiKey
from sfumato.engine.pipeline import DiffusersEngine
from sfumato.engine.registry import load_engine
from sfumato.roots.api import ApiRoot, build_api_root
from tests.servers import PostgresServer, RedisServer, S3Server


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test marked `embedded` proves something of SQLite or the folder, one marked `scaled_out` something
    of PostgreSQL, S3 or Redis: each runs on its own deployment only."""
    keep, drop = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        deployment = callspec.params.get("deployment") if callspec is not None else None
        wrong = (deployment == "scaled-out" and item.get_closest_marker("embedded")) or (
            deployment == "embedded" and item.get_closest_marker("scaled_out")
        )
        (drop if wrong else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
    # The longest modules first: parallel processes (xdist's loadscope) take modules in this order, and a
    # long one taken last leaves the other processes idle while it ends (docs/testing.md).
    items[:] = sorted(keep, key=_rank)


# The longest first, as measured by `--durations` (docs/testing.md); every other module keeps its place.
LONG = ("e2e/", "api/test_fuzz.py", "bench/", "engine/test_device.py", "web/", "api/test_events.py")


def _rank(item: pytest.Item) -> int:
    path = str(item.path)
    root = Path(__file__).parent
    return next((rank for rank, part in enumerate(LONG) if path.startswith(str(root / part))), len(LONG))


def wait_until(condition: Callable[[], bool], seconds: float = 30) -> None:
    """Poll until the condition holds; fail the test after `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


T = TypeVar("T")


def polled(read: Callable[[], T], done: Callable[[T], bool], seconds: float = 60) -> T:
    """`read()` every 50 ms until `done` says its answer is the last, or `seconds` pass: that answer."""
    deadline = time.monotonic() + seconds
    while True:
        answer = read()
        if done(answer) or time.monotonic() > deadline:
            return answer
        time.sleep(0.05)


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
        "allowed_hosts": "testserver",  # TestClient's name for the server
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings(tmp_path: Path, deployment: "Deployment") -> Settings:
    return deployment.settings(tmp_path / "data")


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
        prefix="sfm_",
        plan="starter",
        is_admin=False,
        rpm=None,
        monthly_images=None,
        created_at=clock.now(),
        revoked_at=None,
        webhook_secret=new_webhook_secret(),
    )
    KeyStore(db).insert(key, key_hash=new_id("hash"))
    return key.id


@pytest.fixture(scope="session")
def tiny_engine() -> DiffusersEngine:
    """One tiny pipeline for the whole run; building it is cheap, but not free."""
    return load_engine("tiny")


@pytest.fixture(scope="session")
def tiny_flux_engine() -> DiffusersEngine:
    return load_engine("tiny-flux")


@pytest.fixture(scope="session")
def tiny_sd3_engine() -> DiffusersEngine:
    return load_engine("tiny-sd3")


TINY_ENGINES = {"tiny": "tiny_engine", "tiny-flux": "tiny_flux_engine", "tiny-sd3": "tiny_sd3_engine"}


@pytest.fixture(params=list(TINY_ENGINES))
def family_engine(request: pytest.FixtureRequest) -> DiffusersEngine:
    """Each family's tiny engine in turn: SDXL's, FLUX's and SD3's."""
    engine: DiffusersEngine = request.getfixturevalue(TINY_ENGINES[request.param])
    return engine


@dataclass
class Live:
    """A running app (its worker thread included) and a way to make keys for it."""

    client: TestClient
    services: ApiRoot

    def key(self, name: str = "test", **options: object) -> dict[str, str]:
        """Headers carrying a fresh key: each test works under its own key, so tests never see each other."""
        _, raw = self.services.keys.create(name, **options)  # type: ignore[arg-type]
        return {"x-api-key": raw}

    def stored(self, prefix: str = "") -> list[str]:
        """The keys in the service's storage, whichever it is."""
        return self.services.storage.keys(prefix)


def start_live(
    settings: Settings,
    engine: DiffusersEngine | None,
    *,
    clock: object | None = None,
    with_worker: bool = True,
    seeds: Callable[[], int] | None = None,
) -> Iterator[Live]:
    def factory() -> ApiRoot:
        extra: dict[str, object] = {}
        if clock is not None:
            extra["clock"] = clock
        if seeds is not None:
            extra["seeds"] = seeds
        if engine is not None:  # None: the settings' models, each built as `sfumato serve` builds them
            extra["engine_factory"] = lambda: engine
        return build_api_root(settings, worker=with_worker, **extra)  # type: ignore[arg-type]

    app = create_app(settings, root_factory=factory)
    with TestClient(app, raise_server_exceptions=False) as client:
        services: ApiRoot = app.state.root
        if services.worker is not None:
            assert services.worker.ready.wait(60), services.worker.error
        yield Live(client, services)


@pytest.fixture(scope="module")
def live(
    tmp_path_factory: pytest.TempPathFactory, tiny_engine: DiffusersEngine, deployment: "Deployment"
) -> Iterator[Live]:
    """One app for a test module; tests stay apart by using their own keys."""
    yield from start_live(deployment.settings(tmp_path_factory.mktemp("live")), tiny_engine)


SMALL = {"width": 256, "height": 256}  # the cheapest size: tests that need no larger use it


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A redis-server of the tests' own, on a free loopback port, for the whole run
    (scripts/system-packages installs it where it is missing)."""
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    yield server
    server.close()


@pytest.fixture(scope="session")
def redis_url(redis_server: RedisServer) -> str:
    return redis_server.url


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL cluster of the tests' own, with a migrated template each test database copies."""
    server = PostgresServer()
    try:
        server.create_database(TEMPLATE)
        template = Database(server.url(TEMPLATE))
        upgrade(template)
        template.dispose()
        yield server
    finally:
        server.close()


@pytest.fixture(scope="session")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    server = S3Server(tmp_path_factory.mktemp("s3") / "moto.log")
    server.create_bucket(BUCKET)
    yield server
    server.close()


TEMPLATE = "sfumato_template"
BUCKET = "sfumato-tests"


_DATABASES = itertools.count()


class Deployment:
    """Where a test's service keeps its state. "embedded": SQLite and a folder, in the test's temporary
    folder. "scaled-out": a database of its own on the tests' PostgreSQL, a prefix of its own in a bucket
    on the S3 server, and the Redis every API process shares (flushed for each new service, since a
    ManualClock starts every test in the same minute)."""

    def __init__(
        self,
        name: str,
        postgres: PostgresServer | None = None,
        s3: S3Server | None = None,
        redis: RedisServer | None = None,
    ) -> None:
        self.name = name
        self.postgres = postgres
        self.s3 = s3
        self.redis = redis

    @property
    def scaled(self) -> bool:
        return self.postgres is not None

    def settings(self, folder: Path, **overrides: object) -> Settings:
        postgres, s3, redis = self.postgres, self.s3, self.redis
        if postgres is None or s3 is None or redis is None:
            return make_settings(folder, **overrides)
        # A counter of the module, not of the fixture: a parametrized session fixture may be set up again
        # when a process's tests switch between deployments (pytest-xdist), and the names must not repeat.
        name = f"t{os.getpid()}_{next(_DATABASES)}"
        redis.flush()
        values: dict[str, object] = {
            "database_url": postgres.create_database(name, template=TEMPLATE),
            "storage_url": f"s3://{BUCKET}/{name}",
            "redis_url": redis.url,
            **s3.settings(),
        }
        return make_settings(folder, **(values | overrides))


# SFUMATO_TEST_DEPLOYMENTS=embedded runs the embedded deployment only (scripts/mutation, docs/testing.md).
DEPLOYMENTS = os.environ.get("SFUMATO_TEST_DEPLOYMENTS", "embedded,scaled-out").split(",")


@pytest.fixture(scope="session", params=DEPLOYMENTS)
def deployment(request: pytest.FixtureRequest) -> Deployment:
    """Every test that asks for it runs twice: on the embedded default and on the scaled-out services."""
    if request.param == "embedded":
        return Deployment("embedded")
    return Deployment(
        "scaled-out",
        request.getfixturevalue("postgres"),
        request.getfixturevalue("s3"),
        request.getfixturevalue("redis_server"),
    )
