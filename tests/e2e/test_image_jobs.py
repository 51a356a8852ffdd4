"""An image job whose worker is SIGKILLed mid-generation is finished by another worker, from the input stored
beside the job: the same pixels as the job run whole."""

from pathlib import Path

from tests.e2e.harness import Process, Server, environment, unlimited_key, wait_until
from tests.pictures import data_url, pixels, png


def test_another_worker_finishes_a_killed_workers_image_job_from_the_stored_input(tmp_path: Path) -> None:
    env = environment(tmp_path / "data", lease_seconds="2", poll_seconds="0.2")
    headers = {"x-api-key": unlimited_key(env)}
    api = Server(env, tmp_path / "api.log", "--no-worker")
    first = Process(["worker"], env, tmp_path / "first.log")
    second: Process | None = None
    body = {"prompt": "a slow one", "image": data_url(png(512, 512, seed=8)), "strength": 1.0, "steps": 16}
    try:
        api.wait_ready()
        first.wait_for_output("ready with tiny")
        job = api.client.post("/v1/jobs", json=body | {"seed": 21}, headers=headers).json()

        def generating() -> bool:
            now = api.client.get(f"/v1/jobs/{job['id']}", headers=headers).json()
            return now["status"] == "processing" and 0 < now["progress"] < 1

        wait_until(generating, 120, "the image job to be mid-generation")
        first.kill()
        second = Process(["worker"], env, tmp_path / "second.log")

        def ended(job_id: str) -> dict:
            # One read a poll: two reads could see "queued" then "processing" (the lapsed lease requeued
            # it, the second worker took it) and call that an end.
            wait_until(
                lambda: (
                    api.client.get(f"/v1/jobs/{job_id}", headers=headers).json()["status"]
                    in ("succeeded", "failed", "canceled")
                ),
                240,
                "the job to end",
            )
            return api.client.get(f"/v1/jobs/{job_id}", headers=headers).json()

        finished = ended(job["id"])
        assert finished["status"] == "succeeded", finished
        assert f"{job['id']} (attempt 2)" in second.output()
        # The same request again, run whole by the second worker: the same pixels.
        again = ended(api.client.post("/v1/jobs", json=body | {"seed": 21}, headers=headers).json()["id"])
        made = [
            api.client.get(f"/v1/images/{j['images'][0]['id']}/content", headers=headers)
            for j in (finished, again)
        ]
        assert pixels(made[0].content) == pixels(made[1].content)
    finally:
        for process in (api, first, second):
            if process is not None and process.popen.poll() is None:
                process.stop()
