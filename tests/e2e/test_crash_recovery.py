"""SIGKILL the server mid-generation, with jobs queued; start it again: nothing is lost or doubled."""

import sqlite3
from pathlib import Path

from tests.e2e.harness import Server, environment, unlimited_key, wait_until

SLOW = {"prompt": "a slow one", "width": 512, "height": 512, "steps": 16}


def test_every_job_ends_succeeded_with_exactly_its_images(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = environment(data, lease_seconds="2", poll_seconds="0.2")
    key = unlimited_key(env)
    headers = {"x-api-key": key}

    first = Server(env, tmp_path / "first.log")
    first.wait_ready()
    jobs = [
        first.client.post("/v1/jobs", json=SLOW | {"n": n, "seed": 10 * n}, headers=headers).json()
        for n in (2, 1, 3, 1)
    ]

    def generating() -> bool:
        job = first.client.get(f"/v1/jobs/{jobs[0]['id']}", headers=headers).json()
        return job["status"] == "processing" and 0 < job["progress"] < 1

    wait_until(generating, 120, "the first job to be mid-generation")
    first.kill()

    second = Server(env, tmp_path / "second.log")
    try:
        second.wait_ready()

        def all_ended() -> bool:
            statuses = [
                second.client.get(f"/v1/jobs/{j['id']}", headers=headers).json()["status"] for j in jobs
            ]
            return all(s in ("succeeded", "failed", "canceled") for s in statuses)

        wait_until(all_ended, 240, "every job to end")
        ended = [second.client.get(f"/v1/jobs/{j['id']}", headers=headers).json() for j in jobs]
    finally:
        second.stop()

    assert [job["status"] for job in ended] == ["succeeded"] * 4
    for job, n in zip(ended, (2, 1, 3, 1), strict=True):
        assert [image["seed"] for image in job["images"]] == [job["params"]["seed"] + i for i in range(n)]

    with sqlite3.connect(data / "sfumato.db") as db:
        rows = db.execute("SELECT job_id, job_index, storage_key FROM images").fetchall()
        attempts = dict(db.execute("SELECT id, attempts FROM jobs").fetchall())
    assert len(rows) == 7 == len({(job_id, index) for job_id, index, _ in rows})  # none twice, none lost
    assert attempts[jobs[0]["id"]] == 2  # the one killed mid-generation ran again
    stored = sorted(
        p.relative_to(data / "images").as_posix() for p in (data / "images").rglob("*") if p.is_file()
    )
    assert stored == sorted(key for _, _, key in rows)  # every file has its row; no leftovers
