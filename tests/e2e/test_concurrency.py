"""Many clients at once against one server on SQLite: every request answered, never 'database is locked'."""

import threading
import time
from pathlib import Path

import httpx

from tests.e2e.harness import Server, environment, unlimited_key

CLIENTS, JOBS_EACH = 8, 5


def test_concurrent_clients_never_meet_a_locked_database(tmp_path: Path) -> None:
    env = environment(tmp_path / "data", poll_seconds="0.2")
    key = unlimited_key(env)
    server = Server(env, tmp_path / "serve.log")
    statuses: list[int] = []
    ended: list[str] = []
    lock = threading.Lock()

    def client() -> None:
        with httpx.Client(base_url=server.url, headers={"x-api-key": key}, timeout=120) as http:
            ids = []
            for i in range(JOBS_EACH):
                response = http.post(
                    "/v1/jobs", json={"prompt": f"c{i}", "width": 256, "height": 256, "steps": 2}
                )
                with lock:
                    statuses.append(response.status_code)
                ids.append(response.json()["id"])
            for job_id in ids:
                while True:  # poll as clients do, alongside the others' writes and the worker's
                    response = http.get(f"/v1/jobs/{job_id}")
                    listing = http.get("/v1/images?limit=5")
                    with lock:
                        statuses.extend((response.status_code, listing.status_code))
                    if response.json()["status"] in ("succeeded", "failed", "canceled"):
                        with lock:
                            ended.append(response.json()["status"])
                        break
                    time.sleep(0.05)

    try:
        server.wait_ready()
        threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(300)
    finally:
        server.stop()
    assert ended == ["succeeded"] * (CLIENTS * JOBS_EACH)
    assert set(statuses) <= {200, 202}, sorted(set(statuses))
    assert "locked" not in server.output() and "Traceback" not in server.output()
