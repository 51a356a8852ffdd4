"""The scaled-out deployment, as real processes: `sfumato serve --no-worker` APIs and `sfumato worker`
processes on one PostgreSQL, with S3 storage (moto's server) and Redis, all started by the tests.

Each test proves one promise of docs/deployment.md, "Scaling out": work spread over every process is done
exactly once; a worker killed mid-batch loses nothing; a PostgreSQL restart loses nothing.
"""

import itertools
import re
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from sfumato.db.database import Database
from sfumato.db.tables import ImageRow as Image
from sfumato.db.tables import JobRow as Job
from tests.conftest import BUCKET, TEMPLATE
from tests.e2e.harness import Process, Server, scaled_env, unlimited_key, wait_until
from tests.manifests import read_back
from tests.servers import PostgresServer, RedisServer, S3Server

SMALL = {"width": 256, "height": 256}
names = itertools.count()


class Cluster:
    """APIs and workers on one environment; stopped (SIGTERM) together at the end."""

    def __init__(self, env: dict[str, str], folder: Path, apis: int, workers: int) -> None:
        self.env = env
        self.apis = [Server(env, folder / f"api{i}.log", "--no-worker") for i in range(apis)]
        self.workers = [Process(["worker"], env, folder / f"worker{i}.log") for i in range(workers)]
        for api in self.apis:
            api.wait_ready()
        for worker in self.workers:
            worker.wait_for_output("ready with tiny")

    def worker_name(self, worker: Process) -> str:
        found = re.search(r"worker (\S+) on tiny", worker.output())
        assert found, worker.output()[-2000:]
        return found.group(1)

    def stop(self) -> None:
        for process in [*self.workers, *self.apis]:
            process.stop()


@pytest.fixture
def database(postgres: PostgresServer) -> Iterator[Database]:
    db = Database(postgres.create_database(f"e2e_{next(names)}", template=TEMPLATE))
    yield db
    db.dispose()


def submit(api: Server, headers: dict[str, str], prompt: str) -> str:
    answer = api.client.post("/v1/jobs", json={"prompt": prompt, **SMALL}, headers=headers)
    assert answer.status_code == 202, answer.text
    job_id: str = answer.json()["id"]
    return job_id


def generated(workers: list[Process]) -> list[list[str]]:
    """The jobs each worker's log says it generated, one entry per attempt it made."""
    return [
        [
            job
            for line in re.findall(r"generating \d+ images for (.*)", worker.output())
            for job in re.findall(r"job_\w+", line)
        ]
        for worker in workers
    ]


def stored_keys(s3: S3Server, prefix: str) -> list[str]:
    keys: list[str] = []
    for page in s3.client().get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix + "/"):
        keys += [item["Key"].removeprefix(prefix + "/") for item in page.get("Contents", ())]
    return sorted(keys)


def ended(database: Database, job_ids: list[str]) -> bool:
    with database.read() as session:
        statuses = session.scalars(select(Job.status).where(Job.id.in_(job_ids))).all()
    return len(statuses) == len(job_ids) and all(status == "succeeded" for status in statuses)


def test_three_workers_and_two_apis_generate_90_jobs_each_once_into_s3(
    tmp_path: Path, database: Database, s3: S3Server, redis_server: RedisServer
) -> None:
    env = scaled_env(tmp_path, database.url.render_as_string(hide_password=False), s3, redis_server)
    headers = {"x-api-key": unlimited_key(env)}
    cluster = Cluster(env, tmp_path, apis=2, workers=3)
    try:
        jobs = [submit(cluster.apis[i % 2], headers, f"job {i}") for i in range(90)]
        assert len(set(jobs)) == 90
        wait_until(lambda: ended(database, jobs), 600, "90 jobs to succeed")
        # Either API answers for any job, wherever it was made.
        for job_id in jobs[:10]:
            for api in cluster.apis:
                assert api.client.get(f"/v1/jobs/{job_id}", headers=headers).json()["status"] == "succeeded"
        image = cluster.apis[1].client.get(f"/v1/jobs/{jobs[0]}", headers=headers).json()["images"][0]
        content = cluster.apis[0].client.get(f"/v1/images/{image['id']}/content", headers=headers)
        assert content.status_code == 200 and content.content.startswith(b"\x89PNG")
    finally:
        cluster.stop()

    counts = Counter(job for made in generated(cluster.workers) for job in made)
    assert set(counts) == set(jobs) and set(counts.values()) == {1}  # each generated exactly once
    assert sum(1 for made in generated(cluster.workers) if made) >= 2, "the work was shared"
    with database.read() as session:
        rows = session.execute(select(Image.job_id, Image.storage_key)).all()
        attempts = set(session.scalars(select(Job.attempts)).all())
    assert attempts == {1}
    assert sorted(job_id for job_id, _ in rows) == sorted(jobs)  # one image each, none twice
    assert stored_keys(s3, tmp_path.name) == sorted(key for _, key in rows)  # each stored once, nothing else


def test_every_process_signs_under_the_one_local_ca_they_share(
    tmp_path: Path, database: Database, s3: S3Server, redis_server: RedisServer
) -> None:
    """The API and two workers start at once on one data directory: they agree on one local pair
    (docs/credentials.md), so what either worker makes and what the API transforms read trusted under it."""
    env = scaled_env(tmp_path, database.url.render_as_string(hide_password=False), s3, redis_server)
    headers = {"x-api-key": unlimited_key(env)}
    cluster = Cluster(env, tmp_path, apis=1, workers=2)
    api = cluster.apis[0]
    try:
        jobs = [submit(api, headers, f"job {i}") for i in range(4)]
        wait_until(lambda: ended(database, jobs), 300, "4 jobs to succeed")
        ca = (tmp_path / "data" / "c2pa" / "local-ca.pem").read_bytes()
        for job_id in jobs:
            (image,) = api.client.get(f"/v1/jobs/{job_id}", headers=headers).json()["images"]
            made = api.client.get(f"/v1/images/{image['id']}/content", headers=headers).content
            assert read_back(made, ca).state == "Trusted"
        body = {"format": "webp"}
        new = api.client.post(f"/v1/images/{image['id']}/transform", json=body, headers=headers).json()
        converted = api.client.get(f"/v1/images/{new['id']}/content", headers=headers).content
        assert read_back(converted, ca).state == "Trusted"
    finally:
        cluster.stop()


def test_a_worker_killed_mid_batch_loses_nothing_and_nothing_is_made_twice(
    tmp_path: Path, database: Database, s3: S3Server, redis_server: RedisServer
) -> None:
    url = database.url.render_as_string(hide_password=False)
    env = scaled_env(tmp_path, url, s3, redis_server, lease_seconds="3", batch_images="4")
    headers = {"x-api-key": unlimited_key(env)}
    cluster = Cluster(env, tmp_path, apis=1, workers=3)
    victim = cluster.workers[0]
    name = cluster.worker_name(victim)
    try:
        jobs = [submit(cluster.apis[0], headers, f"job {i}") for i in range(60)]

        def victim_holds() -> list[str]:
            with database.read() as session:
                held = session.scalars(
                    select(Job.id).where(Job.lease_owner == name, Job.status == "processing")
                ).all()
            return list(held)

        wait_until(lambda: bool(victim_holds()), 120, f"{name} to hold a batch")
        victim.kill()  # SIGKILL: its batch is mid-way, its leases unreleased
        held = victim_holds()
        assert held, "the victim held jobs when it died"
        wait_until(lambda: ended(database, jobs), 300, "every job, the victim's too, to succeed")
    finally:
        cluster.stop()

    with database.read() as session:
        rows = session.execute(select(Image.job_id, Image.storage_key)).all()
        taken_over = session.execute(select(Job.lease_owner, Job.attempts).where(Job.id.in_(held))).all()
    assert all(owner != name and attempts == 2 for owner, attempts in taken_over), taken_over
    assert sorted(job_id for job_id, _ in rows) == sorted(jobs)  # every job once, none twice
    assert stored_keys(s3, tmp_path.name) == sorted(key for _, key in rows)  # the victim's files are gone
    survivors = Counter(job for made in generated(cluster.workers[1:]) for job in made)
    assert set(survivors.values()) == {1} and set(held) <= set(survivors)


def test_a_postgresql_restart_mid_run_loses_no_job(
    tmp_path: Path, s3: S3Server, redis_server: RedisServer
) -> None:
    server = PostgresServer()  # a cluster of its own to restart; the other tests' stay up
    cluster = None
    try:
        server.create_database("restart")
        database = Database(server.url("restart"))
        env = scaled_env(tmp_path, server.url("restart"), s3, redis_server)
        headers = {"x-api-key": unlimited_key(env)}
        cluster = Cluster(env, tmp_path, apis=2, workers=2)
        accepted: list[str] = []
        refused: list[int] = []

        def client_load() -> None:
            """A client that retries what the outage refused, with the same Idempotency-Key."""
            for i in range(80):
                api = cluster.apis[i % 2]
                idempotency = str(uuid.uuid4())
                for _ in range(60):
                    try:
                        answer = api.client.post(
                            "/v1/jobs",
                            json={"prompt": f"job {i}", **SMALL},
                            headers=headers | {"Idempotency-Key": idempotency},
                        )
                    except httpx.TransportError:
                        refused.append(0)
                        continue
                    if answer.status_code == 202:
                        accepted.append(answer.json()["id"])
                        break
                    assert answer.status_code == 503, answer.text
                    assert answer.json()["error"]["code"] == "database_unavailable"
                    refused.append(503)
                    threading.Event().wait(float(answer.headers["retry-after"]) / 4)

        load = threading.Thread(target=client_load)
        load.start()
        wait_until(lambda: len(accepted) >= 20, 120, "the run to be under way")
        server.stop()
        # While it is down, a request is told so, and when to try again (README, docs/api.md §4).
        outage = cluster.apis[0].client.post(
            "/v1/jobs", json={"prompt": "during the outage", **SMALL}, headers=headers
        )
        assert outage.status_code == 503, outage.text
        assert outage.json()["error"]["code"] == "database_unavailable"
        assert outage.headers["Retry-After"] == "1"
        server.start()
        for process in [*cluster.apis, *cluster.workers]:  # every process lost its connections, and is back
            process.wait_for_output("listening to PostgreSQL again", 60)
        load.join(300)
        assert len(accepted) == 80 and len(set(accepted)) == 80
        wait_until(lambda: ended(database, accepted), 300, "every accepted job to succeed")
        for api in cluster.apis:
            assert api.client.get("/readyz").status_code == 200
        with database.read() as session:
            assert (
                session.scalar(select(Job.id).where(Job.id.not_in(accepted)).limit(1)) is None
            )  # no duplicate
            rows = session.execute(select(Image.job_id, Image.storage_key)).all()
        assert sorted(job_id for job_id, _ in rows) == sorted(accepted)
        assert stored_keys(s3, tmp_path.name) == sorted(key for _, key in rows)
        database.dispose()
    finally:
        if cluster is not None:
            cluster.stop()
        server.close()


def test_sigterm_hands_a_worker_s_batch_back_at_once_and_another_worker_finishes_it(
    tmp_path: Path, database: Database, s3: S3Server, redis_server: RedisServer
) -> None:
    url = database.url.render_as_string(hide_password=False)
    # A lapse would take minutes; no drain: the batch in hand goes back at the signal
    # (tests/e2e/test_draining.py has the drain that finishes it first).
    env = scaled_env(tmp_path, url, s3, redis_server, lease_seconds="300", drain_seconds="0")
    headers = {"x-api-key": unlimited_key(env)}
    cluster = Cluster(env, tmp_path, apis=1, workers=1)
    try:
        slow = {"prompt": "interrupted", "width": 768, "height": 768, "steps": 30}
        job_id = cluster.apis[0].client.post("/v1/jobs", json=slow, headers=headers).json()["id"]
        wait_until(
            lambda: cluster.apis[0].client.get(f"/v1/jobs/{job_id}", headers=headers).json()["progress"] > 0,
            120,
            "the job to start",
        )
        leaving = cluster.workers[0]
        leaving.stop()  # SIGTERM, then waits for the exit
        assert leaving.popen.returncode == 0 and "handed" in leaving.output()
        with database.read() as session:
            job = session.get(Job, job_id)
            assert job is not None and (job.status, job.attempts, job.lease_owner) == ("queued", 0, None)
        cluster.workers.append(Process(["worker"], env, tmp_path / "worker-next.log"))
        wait_until(lambda: ended(database, [job_id]), 180, "the next worker to finish it")
    finally:
        cluster.stop()
    with database.read() as session:
        assert (
            session.scalar(select(Job.attempts).where(Job.id == job_id)) == 1
        )  # no attempt spent on the stop
