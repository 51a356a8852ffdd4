"""POST /v1/images/imagine: synchronous by default, 202 when asked or when it outlasts the wait."""

import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from sfumato.engine.pipeline import DiffusersEngine
from tests.conftest import SMALL, Deployment, Live, start_live
from tests.pictures import pixels

ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
IMAGE_FIELDS = {
    "id",
    "object",
    "name",
    "url",
    "width",
    "height",
    "format",
    "size",
    "created_at",
    "expires_at",
    "prompt",
    "negative_prompt",
    "seed",
    "model",
    "style",
    "job_id",
    "source_image_id",  # the key's image it was made from (docs/api.md §11), null here
}


def test_imagine_answers_201_with_the_image(live: Live) -> None:
    body = {"name": "cat", "prompt": "a cat", "negative_prompt": "dogs", "seed": 42, **SMALL}
    response = live.client.post("/v1/images/imagine", json=body, headers=live.key())
    assert response.status_code == 201, response.text
    image = response.json()
    assert set(image) == IMAGE_FIELDS
    assert image["id"].startswith("image_") and image["job_id"].startswith("job_")
    assert (image["object"], image["name"], image["url"], image["format"]) == ("image", "cat", None, "png")
    assert (image["width"], image["height"], image["seed"], image["model"]) == (256, 256, 42, "tiny")
    assert (image["prompt"], image["negative_prompt"], image["style"]) == ("a cat", "dogs", None)
    assert image["size"] > 0 and ISO_Z.match(image["created_at"]) and ISO_Z.match(image["expires_at"])
    assert image["created_at"][:4] < image["expires_at"][:4] or image["created_at"] < image["expires_at"]


def test_its_content_is_the_png(live: Live) -> None:
    headers = live.key()
    image = live.client.post(
        "/v1/images/imagine", json={"name": "c", "prompt": "x", **SMALL}, headers=headers
    ).json()
    content = live.client.get(f"/v1/images/{image['id']}/content", headers=headers)
    assert content.headers["content-type"] == "image/png"
    assert content.content.startswith(b"\x89PNG") and len(content.content) == image["size"]


def test_a_seed_is_drawn_when_none_is_given_and_always_returned(live: Live) -> None:
    image = live.client.post(
        "/v1/images/imagine", json={"name": "c", "prompt": "x", **SMALL}, headers=live.key()
    ).json()
    assert 0 <= image["seed"] <= 2**31 - 1


def test_same_seed_and_parameters_give_identical_pixels(live: Live) -> None:
    headers = live.key()
    body = {"name": "same", "prompt": "a lighthouse", "seed": 7, "style": "cinematic", **SMALL}
    contents = []
    for _ in range(2):
        image = live.client.post("/v1/images/imagine", json=body, headers=headers).json()
        contents.append(live.client.get(f"/v1/images/{image['id']}/content", headers=headers).content)
    assert pixels(contents[0]) == pixels(contents[1])  # the files differ: each has its own signed manifest


def test_respond_async_answers_202_with_the_job_and_its_location(live: Live) -> None:
    headers = live.key() | {"Prefer": "respond-async"}
    response = live.client.post(
        "/v1/images/imagine", json={"name": "c", "prompt": "x", **SMALL}, headers=headers
    )
    assert response.status_code == 202
    job = response.json()
    assert job["object"] == "job" and job["status"] in ("queued", "processing", "succeeded")
    assert response.headers["location"] == f"/v1/jobs/{job['id']}"
    assert response.headers["preference-applied"] == "respond-async"


def test_generation_that_outlasts_the_wait_answers_202(live: Live) -> None:
    headers = live.key() | {"Prefer": "wait=0"}
    body = {"name": "slow", "prompt": "x", "width": 1024, "height": 1024, "steps": 20}
    response = live.client.post("/v1/images/imagine", json=body, headers=headers)
    assert response.status_code == 202
    assert response.json()["status"] in ("queued", "processing")
    assert response.headers["preference-applied"] == "wait=0"
    live.client.post(f"/v1/jobs/{response.json()['id']}/cancel", headers=headers)


def test_formats_and_styles_are_honoured(live: Live) -> None:
    headers = live.key()
    body = {"name": "w", "prompt": "x", "format": "jpeg", "quality": 50, "style": "anime", **SMALL}
    image = live.client.post("/v1/images/imagine", json=body, headers=headers).json()
    assert (image["format"], image["style"], image["prompt"]) == ("jpeg", "anime", "x")
    content = live.client.get(f"/v1/images/{image['id']}/content", headers=headers)
    assert content.headers["content-type"] == "image/jpeg" and content.content[:3] == b"\xff\xd8\xff"


class Failing:
    """The tiny engine, failing every prompt that says so."""

    def __init__(self, engine: DiffusersEngine) -> None:
        self.engine, self.spec = engine, engine.spec

    def render(self, jobs, **kwargs):  # type: ignore[no-untyped-def]
        if any("fail" in job.prompt for job in jobs):
            raise RuntimeError("CUDA error: device-side assert triggered")
        return self.engine.render(jobs, **kwargs)

    def warmup(self) -> None:
        pass


@pytest.fixture
def failing_live(deployment: Deployment, tmp_path: Path, tiny_engine: DiffusersEngine) -> Iterator[Live]:
    yield from start_live(deployment.settings(tmp_path / "data"), Failing(tiny_engine))  # type: ignore[arg-type]


def test_a_failed_generation_answers_500_without_the_exception_text(failing_live: Live) -> None:
    response = failing_live.client.post(
        "/v1/images/imagine", json={"name": "f", "prompt": "please fail", **SMALL}, headers=failing_live.key()
    )
    assert response.status_code == 500
    error = response.json()["error"]
    assert (error["type"], error["code"]) == ("server_error", "generation_failed")
    # Words for the client; the exception's own text stays in the log.
    assert error["message"] == "generation failed: the model could not make this job's images"
    assert "device-side assert" not in response.text and "Error" not in response.text


def test_a_request_canceled_while_waiting_answers_409(live: Live) -> None:
    headers = live.key()
    body = {"name": "slow", "prompt": "x", "width": 1024, "height": 1024, "steps": 40}
    result: dict = {}
    waiting = threading.Thread(
        target=lambda: result.update(r=live.client.post("/v1/images/imagine", json=body, headers=headers))
    )
    waiting.start()
    job_id = None
    while job_id is None:
        jobs = live.client.get("/v1/jobs", headers=headers).json()["data"]
        job_id = jobs[0]["id"] if jobs else None
    live.client.post(f"/v1/jobs/{job_id}/cancel", headers=headers)
    waiting.join(30)
    assert result["r"].status_code == 409
    assert result["r"].json()["error"]["code"] == "job_canceled"
