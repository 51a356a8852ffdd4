"""Several models in one process, through the native API (docs/models.md): each model of the catalogue is
accepted (queued when no worker here serves it), one outside it is 400 naming `model`, `/v1/models` says
each model's family and licence, and a model saved with `sfumato models save` serves the same pixels from
its folder. Each model through every dialect: test_model_choice.py."""

import io
import json
from pathlib import Path

import numpy as np
from PIL import Image

from sfumato.engine.base import RenderJob
from sfumato.engine.catalogue import save
from sfumato.engine.pipeline import DiffusersEngine
from tests.api.test_jobs import wait_for
from tests.conftest import SMALL, Deployment, Live, start_live


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
    assert (model["workers"], model["loaded"]) == (1, True)  # this process's worker, its model in memory


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
