"""The events stream follows a job its API process does not run: a worker in another process makes it, and the
stream still shows its progress, then its end."""

import json
from pathlib import Path

from tests.e2e.harness import Process, Server, environment, unlimited_key


def test_the_stream_follows_a_job_made_by_a_worker_in_another_process(tmp_path: Path) -> None:
    env = environment(tmp_path / "data", poll_seconds="0.2")
    headers = {"x-api-key": unlimited_key(env)}
    api = Server(env, tmp_path / "api.log", "--no-worker")
    worker = Process(["worker"], env, tmp_path / "worker.log")
    try:
        api.wait_ready()
        worker.wait_for_output("ready with tiny")
        body = {"prompt": "far away", "width": 768, "height": 768, "steps": 24}
        job = api.client.post("/v1/jobs", json=body, headers=headers).json()
        seen: list[tuple[str, dict]] = []
        with api.client.stream("GET", f"/v1/jobs/{job['id']}/events", headers=headers) as stream:
            event = None
            for line in stream.iter_lines():
                if line.startswith("event: "):
                    event = line.removeprefix("event: ")
                elif line.startswith("data: ") and event:
                    seen.append((event, json.loads(line.removeprefix("data: "))))
        kinds = [kind for kind, _ in seen]
        assert kinds[-1] == "succeeded" and set(kinds[:-1]) == {"progress"}
        assert any(0 < data["step"] < 24 for kind, data in seen if kind == "progress")  # mid-way, from afar
        assert seen[-1][1]["images"][0]["width"] == 768
    finally:
        api.stop()
        worker.stop()
