"""The fair queue across real processes (docs/api.md §18): on PostgreSQL with three `sfumato worker`s, a key
flooding the queue does not hold back another key, and jobs of a model no worker serves are left alone."""

import itertools
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from sfumato.db.database import Database
from sfumato.db.queue import JobQueue
from sfumato.db.tables import JobRow
from sfumato.domain.clock import SystemClock
from sfumato.domain.generation import GenerationRequest
from sfumato.domain.ids import new_id
from sfumato.domain.models import MODELS
from tests.conftest import TEMPLATE
from tests.e2e.harness import Process, Server, create_key, scaled_env, wait_until
from tests.servers import PostgresServer, RedisServer, S3Server

FLOOD = 150
BODY = {"prompt": "a lighthouse", "width": 256, "height": 256}
names = itertools.count()


@pytest.fixture
def database(postgres: PostgresServer) -> Iterator[Database]:
    db = Database(postgres.create_database(f"fair_{next(names)}", template=TEMPLATE))
    yield db
    db.dispose()


def started(database: Database, job_ids: list[str]) -> dict[str, datetime | None]:
    with database.read() as session:
        rows = session.execute(select(JobRow.id, JobRow.started_at).where(JobRow.id.in_(job_ids))).all()
    return {row.id: row.started_at for row in rows}


def statuses(database: Database, job_ids: list[str]) -> list[str]:
    with database.read() as session:
        return list(session.scalars(select(JobRow.status).where(JobRow.id.in_(job_ids))))


def test_a_flood_from_one_key_does_not_hold_back_another_on_three_workers(
    tmp_path: Path, database: Database, s3: S3Server, redis_server: RedisServer
) -> None:
    env = scaled_env(tmp_path, database.url.render_as_string(hide_password=False), s3, redis_server)
    limits = ("--rpm", "1000000", "--monthly-images", "1000000", "--max-queued", "1000")
    flooder = {"x-api-key": create_key(env, None, "--plan", "starter", *limits)}
    other = {"x-api-key": create_key(env, None, "--plan", "starter", *limits)}
    # Jobs of a model no worker here serves, queued as an API serving it would queue them.
    queue = JobQueue(database, SystemClock(), lease_seconds=30, max_attempts=3)
    params = GenerationRequest(prompt="elsewhere", width=256, height=256).resolve(MODELS["tiny"], seed=0)
    api = Server(env, tmp_path / "api.log", "--no-worker")
    workers = [Process(["worker"], env, tmp_path / f"worker{i}.log") for i in range(3)]
    try:
        api.wait_ready()
        for worker in workers:
            worker.wait_for_output("ready with tiny")
        flood: list[str] = []
        lock = threading.Lock()

        def send(count: int) -> None:
            for _ in range(count):
                answer = api.client.post("/v1/jobs", json=BODY, headers=flooder)
                assert answer.status_code == 202, answer.text
                with lock:
                    flood.append(answer.json()["id"])

        senders = [threading.Thread(target=send, args=(FLOOD // 5,)) for _ in range(5)]
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.join()
        mine = [api.client.post("/v1/jobs", json=BODY, headers=other).json()["id"] for _ in range(5)]
        waiting = statuses(database, flood).count("queued")
        assert waiting >= FLOOD // 3, f"the flood was nearly done before the other key sent ({waiting} left)"
        elsewhere = []
        with database.read() as session:
            key_id = session.scalar(select(JobRow.key_id).where(JobRow.id == mine[0]))
        assert key_id is not None
        for _ in range(20):
            with database.write() as session:
                job = queue.add(
                    session, job_id=new_id("job"), key_id=key_id, params=replace(params, model="sdxl-random")
                )
            elsewhere.append(job.id)
        wait_until(lambda: set(statuses(database, flood + mine)) == {"succeeded"}, 600, "every job to end")
    finally:
        for process in [*workers, api]:
            process.stop()

    starts = started(database, flood + mine)
    flood_starts = sorted(starts[job_id] for job_id in flood)  # type: ignore[type-var]
    for job_id in mine:
        after = sum(1 for moment in flood_starts if moment > starts[job_id])  # type: ignore[operator]
        # First come, first served, each would start after all of the flood still waiting when it came.
        assert after >= waiting // 2, (job_id, after, waiting)
    with database.read() as session:
        untouched = session.execute(
            select(func.count()).where(
                JobRow.id.in_(elsewhere), JobRow.status == "queued", JobRow.attempts == 0
            )
        ).scalar_one()
    assert untouched == len(elsewhere)  # no worker of that model: none was taken
