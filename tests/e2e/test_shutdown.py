"""SIGTERM stops `sfumato serve` gracefully: with no time to drain (SFUMATO_DRAIN_SECONDS=0) the running job
goes back to the queue at once, no attempt spent, and the process exits 0 (test_draining.py: with time)."""

import signal
import sqlite3
from pathlib import Path

from tests.e2e.harness import Server, environment, unlimited_key, wait_until

SLOW = {"prompt": "interrupted", "width": 768, "height": 768, "steps": 30}


def test_sigterm_hands_the_running_job_back_and_the_next_start_finishes_it(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = environment(data, drain_seconds="0")
    headers = {"x-api-key": unlimited_key(env)}
    first = Server(env, tmp_path / "first.log")
    first.wait_ready()
    job = first.client.post("/v1/jobs", json=SLOW, headers=headers).json()
    wait_until(
        lambda: first.client.get(f"/v1/jobs/{job['id']}", headers=headers).json()["progress"] > 0,
        120,
        "the job to start",
    )
    first.popen.send_signal(signal.SIGTERM)
    assert first.popen.wait(60) == 0  # uvicorn shut down cleanly: stopped as it was asked
    first.stop()
    assert "Application shutdown complete" in first.output()
    with sqlite3.connect(data / "sfumato.db") as db:
        status, attempts, owner = db.execute("SELECT status, attempts, lease_owner FROM jobs").fetchone()
    assert (status, attempts, owner) == ("queued", 0, None)
    assert "handed" in first.output()

    second = Server(env, tmp_path / "second.log")
    try:
        second.wait_ready()
        wait_until(
            lambda: (
                second.client.get(f"/v1/jobs/{job['id']}", headers=headers).json()["status"] == "succeeded"
            ),
            120,
            "the job to succeed after the restart",
        )
        finished = second.client.get(f"/v1/jobs/{job['id']}", headers=headers).json()
    finally:
        second.stop()
    assert len(finished["images"]) == 1
    with sqlite3.connect(data / "sfumato.db") as db:
        assert db.execute("SELECT attempts FROM jobs").fetchone() == (1,)
