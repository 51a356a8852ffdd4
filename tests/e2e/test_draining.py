"""SIGTERM on a cluster's processes (docs/deployment.md, "Draining"), as real processes on PostgreSQL: a
worker stops claiming, finishes its batch within SFUMATO_DRAIN_SECONDS or hands it back at once to another
worker, and exits 0; an API process stops accepting, lets a running request finish, ends its long polls and
event streams with a reconnectable answer, and exits 0. Every job ends exactly once."""

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from sfumato.db.database import Database
from sfumato.db.keys import KeyStore
from sfumato.db.queue import JobQueue
from sfumato.db.tables import ImageRow, JobRow
from sfumato.domain.clock import SystemClock
from sfumato.domain.generation import GenerationRequest
from sfumato.domain.ids import new_id, new_webhook_secret
from sfumato.domain.keys import ApiKey
from sfumato.domain.models import MODELS
from tests.conftest import TEMPLATE
from tests.e2e.harness import Process, Server, scaled_env, unlimited_key, wait_until
from tests.servers import PostgresServer, RedisServer, S3Server

LONG = {
    "width": 768,
    "height": 768,
    "steps": 30,
}  # seconds of the tiny model on a CPU: SIGTERM lands mid-batch


@pytest.fixture
def database(postgres: PostgresServer, tmp_path: Path) -> Iterator[Database]:
    db = Database(postgres.create_database(f"drain_{tmp_path.name[-20:]}".lower(), template=TEMPLATE))
    yield db
    db.dispose()


def url_of(database: Database) -> str:
    return database.url.render_as_string(hide_password=False)


def jobs(database: Database) -> dict[str, JobRow]:
    with database.read() as session:
        return {job.id: job for job in session.scalars(select(JobRow))}


def holder(database: Database, job_id: str, workers: list[Process]) -> Process | None:
    """The worker process holding the job, from its lease: a worker's name is `host:pid:…`."""
    owner = jobs(database)[job_id].lease_owner
    pids = {int(owner.split(":")[-2])} if owner else set()
    return next((worker for worker in workers if worker.popen.pid in pids), None)


def running(database: Database, job_id: str) -> bool:
    job = jobs(database).get(job_id)
    return job is not None and job.status == "processing" and job.progress > 0


def every_job_ended_once(database: Database) -> None:
    """Each job succeeded with one image per `n`, none made twice, and no attempt spent by a hand-back."""
    with database.read() as session:
        made = dict(session.execute(select(ImageRow.job_id, func.count()).group_by(ImageRow.job_id)).all())
    ended = jobs(database)
    assert {job.id: job.status for job in ended.values()} == {job_id: "succeeded" for job_id in ended}
    assert made == {job.id: job.n for job in ended.values()}
    assert {job.attempts for job in ended.values()} == {1}


def submit(database: Database, fields: dict[str, Any]) -> str:
    """A job queued straight into the database, under a key of its own: no API process needed."""
    clock = SystemClock()
    key = ApiKey(
        id=new_id("key"),
        name="drain",
        prefix="sfm_",
        plan="enterprise",
        is_admin=False,
        rpm=None,
        monthly_images=None,
        created_at=clock.now(),
        revoked_at=None,
        webhook_secret=new_webhook_secret(),
    )
    KeyStore(database).insert(key, key_hash=new_id("hash"))
    queue = JobQueue(database, clock, lease_seconds=30, max_attempts=3)
    params = GenerationRequest(prompt="handed back", **fields).resolve(MODELS["tiny"], seed=0)
    with database.write() as session:
        return queue.add(session, job_id=new_id("job"), key_id=key.id, params=params).id


def in_thread(answers: dict[str, Any], name: str, call: Any) -> threading.Thread:
    """Run a request on a thread of its own; its answer lands in `answers[name]`."""

    def run() -> None:
        answers[name] = call()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def read_events(api: Server, path: str, headers: dict[str, str]) -> str:
    """An event stream's text until the server ends it; what came so far is in `answers["events.partial"]`
    of the caller, through the returned text's growth (kept in `_partial`)."""
    text = ""
    with httpx.stream("GET", api.url + path, headers=headers, timeout=60) as response:
        for chunk in response.iter_text():
            text += chunk
            _partial["events.partial"] = text
    return text


_partial: dict[str, str] = {}


def test_a_worker_past_its_drain_hands_its_batch_back_and_another_takes_it_within_a_second(
    tmp_path: Path, database: Database, s3: S3Server, redis_server: RedisServer
) -> None:
    env = scaled_env(tmp_path, url_of(database), s3, redis_server, drain_seconds="0.5")
    workers = [Process(["worker"], env, tmp_path / f"worker{i}.log") for i in range(2)]
    try:
        for worker in workers:
            worker.wait_for_output("ready with tiny")
        job_id = submit(database, LONG)
        wait_until(lambda: running(database, job_id), 60, "the job to be under way")
        leaving = holder(database, job_id, workers)
        assert leaving is not None
        staying = next(worker for worker in workers if worker is not leaving)
        leaving.popen.terminate()
        sent = time.monotonic()
        released = taken = None
        while taken is None and time.monotonic() - sent < 20:  # the lease (30 s) would be far later
            now = time.monotonic()
            owner = holder(database, job_id, workers)
            if released is None and owner is not leaving:
                released = now
            if owner is staying:
                taken = now
            time.sleep(0.02)
        assert released is not None and taken is not None, leaving.output()[-2000:]
        assert released - sent >= 0.5  # it went on with the batch for its drain, then handed it back
        assert taken - released < 1.0
        assert leaving.popen.wait(30) == 0
        assert "handed" in leaving.output()
        wait_until(lambda: jobs(database)[job_id].status == "succeeded", 120, "the job to succeed")
    finally:
        for worker in workers:
            worker.stop()
    every_job_ended_once(database)


def test_sigterm_finishes_the_batch_and_the_running_request_and_ends_long_polls_and_streams(
    tmp_path: Path, database: Database, s3: S3Server, redis_server: RedisServer
) -> None:
    env = scaled_env(tmp_path, url_of(database), s3, redis_server, drain_seconds="60")
    headers = {"x-api-key": unlimited_key(env)}
    api = Server(env, tmp_path / "api.log", "--no-worker")
    workers = [Process(["worker"], env, tmp_path / f"worker{i}.log") for i in range(2)]
    answers: dict[str, Any] = {}
    try:
        api.wait_ready()
        for worker in workers:
            worker.wait_for_output("ready with tiny")
        # A running request: AUTOMATIC1111's txt2img answers with the image, however long it takes.
        running_request = in_thread(
            answers,
            "txt2img",
            lambda: api.client.post(
                "/sdapi/v1/txt2img", json={"prompt": "finished", **LONG}, headers=headers
            ),
        )
        wait_until(lambda: any(running(database, job) for job in jobs(database)), 60, "the request's job")
        (first,) = jobs(database)
        draining = holder(database, first, workers)
        assert draining is not None
        other = next(worker for worker in workers if worker is not draining)
        followed = api.client.post("/v1/jobs", json={"prompt": "followed", **LONG}, headers=headers).json()[
            "id"
        ]
        wait_until(lambda: running(database, followed), 60, "the other worker to take the second job")
        stream = in_thread(
            answers, "events", lambda: read_events(api, f"/v1/jobs/{followed}/events", headers)
        )
        wait_until(lambda: "event: progress" in _partial.get("events.partial", ""), 30, "the stream")

        draining.popen.terminate()
        draining.wait_for_output("draining", 10)
        # A long poll for work no worker is free to take: it would wait its 60 s.
        long_poll = in_thread(
            answers,
            "long poll",
            lambda: api.client.post(
                "/v1/jobs",
                json={"prompt": "polled", "width": 256, "height": 256},
                headers=headers | {"Prefer": "wait=60"},
            ),
        )
        wait_until(lambda: len(jobs(database)) == 3, 30, "the polled job to be queued")
        assert running_request.is_alive() and stream.is_alive()

        api.popen.terminate()
        sent = time.monotonic()
        long_poll.join(5)
        stream.join(5)
        assert time.monotonic() - sent < 5
        polled = answers["long poll"]
        assert polled.status_code == 202 and polled.json()["status"] == "queued", polled.text
        assert "retry: 1000" in answers["events"]  # the EventSource comes back, to another process
        assert not any(f"event: {end}" in answers["events"] for end in ("succeeded", "failed", "canceled"))
        running_request.join(120)
        assert answers["txt2img"].status_code == 200 and len(answers["txt2img"].json()["images"]) == 1
        assert api.popen.wait(30) == 0 and draining.popen.wait(30) == 0
        with pytest.raises(httpx.TransportError):  # it stopped accepting
            httpx.get(f"{api.url}/healthz", timeout=2)
        wait_until(lambda: all(job.status == "succeeded" for job in jobs(database).values()), 120, "the rest")
        assert holder(database, first, workers) is draining  # it finished what it held: not handed back
        assert holder(database, followed, workers) is other
    finally:
        for process in [*workers, api]:
            process.stop()
    every_job_ended_once(database)
