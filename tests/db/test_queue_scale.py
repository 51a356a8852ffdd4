"""The claim reads the queued jobs' indexes, never the whole queue (docs/architecture.md, "A fair queue"):
a claim from 20,000 queued jobs over 200 keys costs what one from 32 over 2 keys costs, on both databases,
counted as tests/db/test_scale.py counts (SQLite's instructions, PostgreSQL's rows), after ANALYZE."""

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bench import queue_data
from bench.scale_data import analyze
from sfumato.db.claims import Wanted
from sfumato.db.database import Database
from sfumato.db.migrate import upgrade
from sfumato.db.queue import JobQueue
from tests.conftest import Deployment, ManualClock
from tests.db.test_scale import cost

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def queued(deployment: Deployment, folder: Path, jobs: int, keys: int) -> Database:
    db = Database(deployment.settings(folder).database_url)
    upgrade(db)
    queue_data.add_queued(db, queue_data.add_keys(db, keys, NOW), jobs, NOW)
    analyze(db)
    return db


@pytest.fixture(scope="module")
def short_and_long(
    deployment: Deployment, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Database, Database]]:
    short = queued(deployment, tmp_path_factory.mktemp("short") / "data", 32, 2)
    long = queued(deployment, tmp_path_factory.mktemp("long") / "data", 20_000, 200)
    yield short, long
    short.dispose()
    long.dispose()


def test_a_claim_from_a_long_queue_costs_what_one_from_a_short_queue_costs(
    short_and_long: tuple[Database, Database],
) -> None:
    def claim(db: Database) -> int:
        queue = JobQueue(db, ManualClock(NOW), lease_seconds=30, max_attempts=3)
        taken: list[int] = []
        spent = cost(db, lambda: taken.append(len(queue.claim_batch("w", 8, wanted=Wanted(("tiny",))))))
        assert taken == [8]
        return spent

    short, long = (claim(db) for db in short_and_long)
    assert long <= 2 * short, (short, long)
