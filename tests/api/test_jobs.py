"""POST /v1/jobs, GET /v1/jobs[/{id}], POST /v1/jobs/{id}/cancel."""

import io
import time

import numpy as np
from PIL import Image

from tests.conftest import SMALL, Deployment, Live


def wait_for(live: Live, job_id: str, headers: dict, seconds: float = 60) -> dict:
    deadline = time.monotonic() + seconds
    while True:
        job = live.client.get(f"/v1/jobs/{job_id}", headers=headers).json()
        if job["status"] in ("succeeded", "failed", "canceled") or time.monotonic() > deadline:
            return job
        time.sleep(0.05)


def test_a_job_is_accepted_with_202_and_its_location(live: Live) -> None:
    headers = live.key()
    response = live.client.post("/v1/jobs", json={"prompt": "x", **SMALL}, headers=headers)
    assert response.status_code == 202
    job = response.json()
    assert set(job) == {
        "id",
        "object",
        "status",
        "created_at",
        "started_at",
        "completed_at",
        "progress",
        "params",
        "images",
        "error",
        "warnings",
        "queue_position",
        "estimated_start_at",
    }
    assert response.headers["location"] == f"/v1/jobs/{job['id']}"
    assert job["params"]["model"] == "tiny" and job["params"]["steps"] == 4 and job["params"]["seed"] >= 0


def test_a_job_ends_succeeded_with_n_images_of_seed_plus_i(live: Live) -> None:
    headers = live.key(plan="professional")
    job = live.client.post(
        "/v1/jobs", json={"prompt": "x", "n": 3, "seed": 500, "name": "trio", **SMALL}, headers=headers
    ).json()
    job = wait_for(live, job["id"], headers)
    assert (job["status"], job["progress"], job["error"]) == ("succeeded", 1.0, None)
    assert [image["seed"] for image in job["images"]] == [500, 501, 502]
    assert all(image["name"] == "trio" and image["job_id"] == job["id"] for image in job["images"])
    assert job["started_at"] <= job["completed_at"]


def test_image_i_is_the_image_of_seed_plus_i_alone(live: Live) -> None:
    headers = live.key(plan="professional")

    def pixels(job_body: dict) -> list[np.ndarray]:
        job = live.client.post(
            "/v1/jobs", json={"prompt": "seeds", **SMALL, **job_body}, headers=headers
        ).json()
        job = wait_for(live, job["id"], headers)
        return [
            np.asarray(
                Image.open(
                    io.BytesIO(live.client.get(f"/v1/images/{image['id']}/content", headers=headers).content)
                ),
                dtype=np.int16,
            )
            for image in job["images"]
        ]

    batch = pixels({"n": 2, "seed": 900})
    alone = pixels({"seed": 901})[0]
    assert np.abs(batch[1] - alone).max() <= 1  # batched CPU kernels may round one level apart
    assert np.abs(batch[0] - alone).mean() > 1


def test_prefer_wait_holds_the_answer_until_the_job_ends(live: Live) -> None:
    headers = live.key() | {"Prefer": "wait=30"}
    response = live.client.post("/v1/jobs", json={"prompt": "x", **SMALL}, headers=headers)
    assert response.status_code == 202
    assert response.json()["status"] == "succeeded" and len(response.json()["images"]) == 1


def test_jobs_are_listed_newest_first_with_a_cursor(live: Live) -> None:
    headers = live.key()
    ids = [
        live.client.post("/v1/jobs", json={"prompt": f"p{i}", **SMALL}, headers=headers).json()["id"]
        for i in range(5)
    ]
    first = live.client.get("/v1/jobs?limit=2", headers=headers).json()
    assert first["object"] == "list" and first["has_more"] and first["next_cursor"]
    second = live.client.get(f"/v1/jobs?limit=2&after={first['next_cursor']}", headers=headers).json()
    third = live.client.get(f"/v1/jobs?limit=2&after={second['next_cursor']}", headers=headers).json()
    listed = [job["id"] for page in (first, second, third) for job in page["data"]]
    assert listed == ids[::-1]
    assert (third["has_more"], third["next_cursor"]) == (False, None)


def test_jobs_can_be_listed_by_status(live: Live) -> None:
    headers = live.key()
    job = live.client.post("/v1/jobs", json={"prompt": "x", **SMALL}, headers=headers).json()
    wait_for(live, job["id"], headers)
    assert [
        j["id"] for j in live.client.get("/v1/jobs?status=succeeded", headers=headers).json()["data"]
    ] == [job["id"]]
    assert live.client.get("/v1/jobs?status=failed", headers=headers).json()["data"] == []


def test_canceling_a_queued_job_ends_it_canceled(live: Live) -> None:
    headers = live.key()
    slow = {"prompt": "x", "width": 1024, "height": 1024, "steps": 30}
    running = live.client.post("/v1/jobs", json=slow, headers=headers).json()
    queued = live.client.post("/v1/jobs", json=slow, headers=headers).json()
    canceled = live.client.post(f"/v1/jobs/{queued['id']}/cancel", headers=headers).json()
    assert canceled["status"] == "canceled" and canceled["completed_at"] is not None
    live.client.post(f"/v1/jobs/{running['id']}/cancel", headers=headers)
    assert wait_for(live, running["id"], headers)["status"] == "canceled"
    assert wait_for(live, queued["id"], headers)["images"] == []


def test_canceling_a_finished_job_changes_nothing(live: Live) -> None:
    headers = live.key() | {"Prefer": "wait=30"}
    job = live.client.post("/v1/jobs", json={"prompt": "x", **SMALL}, headers=headers).json()
    after = live.client.post(f"/v1/jobs/{job['id']}/cancel", headers=headers)
    assert after.status_code == 200
    assert after.json()["status"] == "succeeded" and len(after.json()["images"]) == 1


def test_an_unknown_job_is_404(live: Live) -> None:
    response = live.client.get("/v1/jobs/job_000000000000000000000000", headers=live.key())
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_a_full_queue_answers_503_overloaded_with_retry_after(
    deployment: Deployment, tmp_path, tiny_engine
) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import start_live

    settings = deployment.settings(tmp_path / "data", max_queued_jobs=2)
    for live in start_live(
        settings, tiny_engine, with_worker=False
    ):  # nothing takes the jobs: they stay queued
        headers = live.key()
        for _ in range(2):
            assert live.client.post("/v1/jobs", json={"prompt": "x"}, headers=headers).status_code == 202
        response = live.client.post("/v1/jobs", json={"prompt": "x"}, headers=headers)
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "overloaded"
        assert response.headers["retry-after"] == "10"
        assert len(live.client.get("/v1/jobs", headers=headers).json()["data"]) == 2


def test_a_job_says_what_it_will_not_do_as_asked(live: Live) -> None:
    headers = live.key()
    body = {"prompt": "p" * 90, "negative_prompt": "blurry", **SMALL}
    job = live.client.post("/v1/jobs", json=body, headers=headers).json()
    assert [w.split(":")[0] for w in job["warnings"]] == ["negative_prompt has no effect at guidance_scale 0"]
    done = wait_for(live, job["id"], headers)
    assert done["status"] == "succeeded"
    assert done["warnings"][0] == job["warnings"][0]
    assert done["warnings"][1].startswith(
        "prompt is 90 tokens long; the text encoders read only the first 75"
    )
    plain = live.client.post("/v1/jobs", json={"prompt": "x", **SMALL}, headers=headers).json()
    assert plain["warnings"] == []
