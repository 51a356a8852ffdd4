"""On PostgreSQL, an API and a worker that share nothing but the database hear each other at once
(LISTEN/NOTIFY): both poll only every 30 seconds here, so anything quicker came by a signal."""

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sfumato.engine.pipeline import DiffusersEngine
from sfumato.roots.worker import WorkerRoot, build_worker_root
from tests.conftest import SMALL, Deployment, Live, start_live

pytestmark = pytest.mark.scaled_out  # SQLite serves one process, whose threads wake each other directly

SLOW_POLL = 30.0


@pytest.fixture
def apart(
    deployment: Deployment, tmp_path: Path, tiny_engine: DiffusersEngine
) -> Iterator[tuple[Live, WorkerRoot]]:
    settings = deployment.settings(tmp_path / "data", poll_seconds=SLOW_POLL)
    worker = build_worker_root(settings, engine_factory=lambda: tiny_engine)
    worker.start()
    try:
        assert worker.worker is not None and worker.worker.ready.wait(60)
        assert worker.listener is not None and worker.listener.listening.wait(10)
        for api in start_live(settings, tiny_engine, with_worker=False):
            assert api.services.listener is not None and api.services.listener.listening.wait(10)
            time.sleep(0.5)  # the worker's first look at the empty queue is done: it now waits
            yield api, worker
    finally:
        worker.close()


def test_a_waiting_request_learns_of_the_end_from_a_worker_elsewhere_at_once(
    apart: tuple[Live, WorkerRoot],
) -> None:
    api, _ = apart
    started = time.monotonic()
    job = api.client.post(
        "/v1/jobs", json={"prompt": "x", **SMALL}, headers=api.key() | {"Prefer": "wait=25"}
    ).json()
    took = time.monotonic() - started
    assert job["status"] == "succeeded", job
    assert took < 10, f"{took:.1f} s: the worker or the waiter waited for its poll"


def test_asynchronous_jobs_wake_the_idle_worker(apart: tuple[Live, WorkerRoot]) -> None:
    api, _ = apart
    headers = api.key(plan="professional")
    ids = [
        api.client.post("/v1/jobs", json={"prompt": f"p{i}", **SMALL}, headers=headers).json()["id"]
        for i in range(3)
    ]
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        states = {api.client.get(f"/v1/jobs/{job_id}", headers=headers).json()["status"] for job_id in ids}
        if states == {"succeeded"}:
            return
        time.sleep(0.1)
    raise AssertionError(f"still {states} after 15 s with a poll of {SLOW_POLL} s")
