"""Several models in one process, through the native API (docs/models.md): each model of the catalogue is
accepted (queued when no worker here serves it), one outside it is 400 naming `model`, `/v1/models` says
each model's family and licence, and a model saved with `sfumato models save` serves the same pixels from
its folder."""

import base64
import io
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from sfumato.engine.base import RenderJob
from sfumato.engine.catalogue import save
from sfumato.engine.pipeline import DiffusersEngine
from tests.api.test_jobs import wait_for
from tests.conftest import SMALL, Deployment, Live, start_live
from tests.pictures import encoded, noise, square_mask


def pixels(live: Live, headers: dict, image_id: str) -> np.ndarray:
    content = live.client.get(f"/v1/images/{image_id}/content", headers=headers).content
    return np.asarray(Image.open(io.BytesIO(content)))


def test_a_catalogue_model_no_worker_here_serves_is_queued_not_refused(live: Live) -> None:
    headers = live.key()
    response = live.client.post(
        "/v1/jobs", json={"prompt": "x", "model": "tiny-flux", **SMALL}, headers=headers
    )
    assert response.status_code == 202
    job = wait_for(live, response.json()["id"], headers, seconds=0.5)
    assert job["status"] in ("queued", "processing") and job["params"]["model"] == "tiny-flux"
    live.client.post(f"/v1/jobs/{job['id']}/cancel", headers=headers)  # no worker of it will come


def test_a_model_outside_the_catalogue_is_400_naming_model(live: Live) -> None:
    response = live.client.post(
        "/v1/jobs", json={"prompt": "x", "model": "midjourney", **SMALL}, headers=live.key()
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["param"] == "model" and "'midjourney' is not in the catalogue" in error["message"]


def test_models_says_each_served_models_family_and_licence(live: Live) -> None:
    (model,) = live.client.get("/v1/models", headers=live.key()).json()["data"]
    assert (model["id"], model["family"], model["license"], model["open_license"]) == (
        "tiny",
        "sdxl",
        "Apache-2.0",
        True,
    )


@pytest.fixture(scope="module")
def three(tmp_path_factory: pytest.TempPathFactory, deployment: Deployment) -> Iterator[Live]:
    """`sfumato serve --model tiny --model tiny-flux --model tiny-sd3`: one worker, three engines."""
    settings = deployment.settings(tmp_path_factory.mktemp("three"), models="tiny,tiny-flux,tiny-sd3")
    yield from start_live(settings, None)


@pytest.mark.parametrize("model", ["tiny", "tiny-flux", "tiny-sd3"])
def test_each_served_model_makes_images_from_text_an_image_and_a_mask(three: Live, model: str) -> None:
    headers = three.key(plan="professional")
    picture = base64.b64encode(encoded(noise(256, 256, seed=2))).decode()
    mask = base64.b64encode(square_mask(256, 256, (64, 64, 192, 192))).decode()
    bodies = [{}, {"image": picture}, {"image": picture, "mask": mask}]
    jobs = [
        three.client.post(
            "/v1/jobs",
            json={"prompt": "a lighthouse", "model": model, "steps": 2, **SMALL, **body},
            headers=headers,
        ).json()
        for body in bodies
    ]
    for job in jobs:
        done = wait_for(three, job["id"], headers)
        assert (done["status"], done["params"]["model"]) == ("succeeded", model), done
        (image,) = done["images"]
        assert pixels(three, headers, image["id"]).shape == (256, 256, 3)
    assert set(three.services.worker.resident()) >= {model}  # type: ignore[union-attr]


def test_a_saved_model_serves_the_same_image_from_its_folder(
    tmp_path: Path, deployment: Deployment, tiny_flux_engine: DiffusersEngine
) -> None:
    folder = tmp_path / "carried"
    save(tiny_flux_engine, folder)  # what `sfumato models save tiny-flux DIR` writes
    settings = deployment.settings(tmp_path / "data", model=str(folder))
    for live in start_live(settings, None):
        headers = live.key()
        body = {"prompt": "a lighthouse", "seed": 9, "steps": 2, **SMALL}
        job = wait_for(live, live.client.post("/v1/jobs", json=body, headers=headers).json()["id"], headers)
        assert (job["status"], job["params"]["model"]) == ("succeeded", "carried")
        expected = tiny_flux_engine.generate(RenderJob("a lighthouse", None, 256, 256, 2, 0.0, [9]))[0]
        assert np.array_equal(pixels(live, headers, job["images"][0]["id"]), np.asarray(expected))
        listed = live.client.get("/v1/models", headers=headers).json()["data"]
        assert [(m["id"], m["family"]) for m in listed] == [("carried", "flux")]
        assert json.dumps(listed).find(str(tmp_path)) == -1  # the folder's path is not the client's business
