"""Two worker processes and an API without a worker, on one database: every job generated exactly once; the
API lists the fleet's model from the workers' heartbeats, and one that stops leaves the fleet at once."""

import re
from collections import Counter
from pathlib import Path

import httpx

from tests.e2e.harness import Process, Server, environment, free_port, unlimited_key, wait_until


def test_two_workers_never_generate_the_same_job(tmp_path: Path) -> None:
    env = environment(tmp_path / "data", poll_seconds="0.2")
    key = unlimited_key(env)
    headers = {"x-api-key": key}
    api = Server(env, tmp_path / "api.log", "--no-worker")
    # Two CPU workers on one machine: one thread each, or their OpenMP threads spin against each other.
    ports = [free_port(), free_port()]  # each worker's own /metrics (SFUMATO_METRICS_PORT)
    workers = [
        Process(
            ["worker"],
            env | {"OMP_NUM_THREADS": "1", "SFUMATO_METRICS_PORT": str(port)},
            tmp_path / f"worker{i}.log",
        )
        for i, port in enumerate(ports)
    ]
    try:
        api.wait_ready()
        for worker in workers:
            worker.wait_for_output("ready with tiny")
        database = f"sqlite:///{(tmp_path / 'data').resolve() / 'sfumato.db'}"
        for process in (api, *workers):  # each says where it works, so that none is looked for elsewhere
            assert f"with the database {database}" in process.output()
        # Their heartbeats (docs/api.md §15): the API, with no worker of its own, sees both, tiny in memory.
        wait_until(lambda: _fleet(api, headers) == [("tiny", 2, True)], 30, "both workers' heartbeats")

        jobs = [
            api.client.post(
                "/v1/jobs", json={"prompt": f"job {i}", "width": 256, "height": 256, "n": 2}, headers=headers
            ).json()["id"]
            for i in range(16)
        ]
        # A synchronous request on an API with no worker of its own learns of the end from the database.
        image = api.client.post(
            "/v1/images/imagine",
            json={"name": "sync", "prompt": "x", "width": 256, "height": 256},
            headers=headers,
        )
        assert image.status_code == 201, image.text
        jobs.append(image.json()["job_id"])

        def all_succeeded() -> bool:
            return all(
                api.client.get(f"/v1/jobs/{j}", headers=headers).json()["status"] == "succeeded" for j in jobs
            )

        wait_until(all_succeeded, 180, "every job to succeed")
        # Every image counted once, by the worker that made it (just after its job's commit).
        wait_until(lambda: sum(_images_made(port) for port in ports) == 16 * 2 + 1, 10, "the counts")
        assert all(_images_made(port) for port in ports)
        workers[0].stop()  # SIGTERM: it drains, and its heartbeat goes with it, not three beats later
        assert _fleet(api, headers) == [("tiny", 1, True)]
    finally:
        for worker in workers:
            worker.stop()
        api.stop()

    generated = [
        [
            job
            for line in re.findall(r"generating \d+ images for (.*)", worker.output())
            for job in re.findall(r"job_\w+", line)
        ]
        for worker in workers
    ]
    counts = Counter(job for ids in generated for job in ids)
    assert set(counts) == set(jobs) and set(counts.values()) == {1}  # each exactly once
    assert all(generated), "both workers took part"
    assert all("handed" not in worker.output() for worker in workers)


def _fleet(api: Server, headers: dict[str, str]) -> list[tuple[str, int, bool]]:
    listed = api.client.get("/v1/models", headers=headers).json()["data"]
    return [(model["id"], model["workers"], model["loaded"]) for model in listed]


def _images_made(port: int) -> float:
    text = httpx.get(f"http://127.0.0.1:{port}/metrics").text
    (line,) = [line for line in text.splitlines() if line.startswith("sfumato_images_generated_total ")]
    return float(line.split()[1])
