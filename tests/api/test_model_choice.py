"""Every dialect picks the model its own way (docs/clients.md), against `sfumato serve --model tiny --model
tiny-flux --model tiny-sd3` (one worker, three engines), at 256x256 and 2 steps: each model makes images
through the native API (from text, an image and a mask), the job-style `model`, OpenAI's `model` (a
generation and an edit with a mask; its own names go to the default unless SFUMATO_OPENAI_MODELS maps them),
and AUTOMATIC1111's `sd_model_checkpoint` (`override_settings`, or kept by `/options`; txt2img and
img2img); `/v1/models`, `/sd-models` and the admin page show the three. (The synchronous dialect keeps the
default: test_sync_style.py.)"""

import base64
import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from PIL import Image

from sfumato.api.dialects.a1111.catalog import title
from tests.api.test_job_style import poll
from tests.api.test_jobs import wait_for
from tests.api.test_models import pixels
from tests.conftest import SMALL, Deployment, Live, start_live
from tests.pictures import encoded, noise, square_mask
from tests.web.test_sessions import sign_in

MODELS = ["tiny", "tiny-flux", "tiny-sd3"]
PICTURE = encoded(noise(256, 256, seed=2))
MASK = square_mask(256, 256, (64, 64, 192, 192))


@pytest.fixture(scope="module")
def three(tmp_path_factory: pytest.TempPathFactory, deployment: Deployment) -> Iterator[Live]:
    """`sfumato serve --model tiny --model tiny-flux --model tiny-sd3`: one worker, three engines; the
    operator sends `dall-e-3` to tiny-sd3."""
    settings = deployment.settings(
        tmp_path_factory.mktemp("three"),
        models="tiny,tiny-flux,tiny-sd3",
        openai_models={"dall-e-3": "tiny-sd3"},
    )
    yield from start_live(settings, None)


def latest_job(live: Live, headers: dict[str, str]) -> dict[str, Any]:
    """The key's newest job (each test works under its own key)."""
    return dict(live.client.get("/v1/jobs?limit=1", headers=headers).json()["data"][0])


def size_of(b64: str) -> tuple[int, int]:
    return Image.open(io.BytesIO(base64.b64decode(b64))).size


@pytest.mark.parametrize("model", MODELS)
def test_native_model_makes_images_from_text_an_image_and_a_mask(three: Live, model: str) -> None:
    headers = three.key(plan="professional")
    picture, mask = base64.b64encode(PICTURE).decode(), base64.b64encode(MASK).decode()
    bodies = [{}, {"image": picture}, {"image": picture, "mask": mask}]
    jobs = [
        three.client.post(
            "/v1/jobs",
            json={"prompt": "a lighthouse", "model": model, "steps": 2, **SMALL, **body},
            headers=headers,
        ).json()
        for body in bodies
    ]
    for job, mode in zip(jobs, ["text", "image", "inpaint"], strict=True):
        done = wait_for(three, job["id"], headers)
        assert (done["status"], done["params"]["model"]) == ("succeeded", model), done
        assert done["params"].get("mode", "text") == mode
        (image,) = done["images"]
        assert pixels(three, headers, image["id"]).shape == (256, 256, 3)
    assert model in three.services.worker.resident()  # type: ignore[union-attr]


@pytest.mark.parametrize("model", MODELS)
def test_job_style_model_picks_it(three: Live, model: str) -> None:
    headers = three.key()
    body = {"prompt": "a lighthouse", "model": model, "steps": "2", **SMALL}  # numbers as strings, too
    accepted = three.client.post("/api/v1/image", json=body, headers=headers)
    assert accepted.status_code == 201, accepted.text
    job_id = accepted.json()["job_id"]
    assert poll(three, job_id, headers)["status"] == "completed"
    assert three.client.get(f"/v1/jobs/{job_id}", headers=headers).json()["params"]["model"] == model


@pytest.mark.parametrize("model", MODELS)
def test_openai_model_picks_it_for_a_generation_and_a_masked_edit(three: Live, model: str) -> None:
    headers = three.key()
    fields = {"model": model, "prompt": "a lighthouse", "size": "256x256", "quality": "low"}
    made = three.client.post(
        "/v1/images/generations", json=fields | {"response_format": "b64_json"}, headers=headers
    )
    assert made.status_code == 200, made.text
    assert size_of(made.json()["data"][0]["b64_json"]) == (256, 256)
    job = latest_job(three, headers)
    assert (job["params"]["model"], job["params"]["steps"]) == (model, 2)  # "low": half of tiny's 4 steps
    edited = three.client.post(
        "/v1/images/edits",
        data=fields | {"response_format": "b64_json"},
        files=[("image", ("in.png", PICTURE, "image/png")), ("mask", ("mask.png", MASK, "image/png"))],
        headers=headers,
    )
    assert edited.status_code == 200, edited.text
    assert size_of(edited.json()["data"][0]["b64_json"]) == (256, 256)
    job = latest_job(three, headers)
    assert (job["params"]["model"], job["params"]["mode"]) == (model, "inpaint")


def test_openais_own_names_go_to_the_default_or_where_the_operator_maps_them(three: Live) -> None:
    headers = three.key()
    for name, model in [("dall-e-2", "tiny"), ("dall-e-3", "tiny-sd3"), ("gpt-image-1", "tiny")]:
        body = {
            "model": name,
            "prompt": "x",
            "size": "256x256",
            "quality": "low",
            "response_format": "b64_json",
        }
        assert three.client.post("/v1/images/generations", json=body, headers=headers).status_code == 200
        assert latest_job(three, headers)["params"]["model"] == model, name
    body = {"model": "midjourney", "prompt": "x", "size": "256x256"}
    refused = three.client.post("/v1/images/generations", json=body, headers=headers)
    assert refused.status_code == 400 and refused.json()["error"]["param"] == "model"


@pytest.mark.parametrize("model", MODELS)
def test_a1111_checkpoint_picks_it_by_override_or_kept_option(three: Live, model: str) -> None:
    headers = three.key()
    body = {"prompt": "a lighthouse", "steps": 2, "width": 256, "height": 256}
    override = {"override_settings": {"sd_model_checkpoint": title(model)}}
    made = three.client.post("/sdapi/v1/txt2img", json=body | override, headers=headers)
    assert made.status_code == 200, made.text
    assert json.loads(made.json()["info"])["sd_model_name"] == model
    # Kept by /options, as Open WebUI and SillyTavern choose: then img2img uses it, with no override.
    chosen = three.client.post("/sdapi/v1/options", json={"sd_model_checkpoint": model}, headers=headers)
    assert chosen.status_code == 200, chosen.text
    picture = base64.b64encode(PICTURE).decode()
    redrawn = three.client.post(
        "/sdapi/v1/img2img",
        json=body | {"init_images": [picture], "denoising_strength": 0.6},
        headers=headers,
    )
    assert redrawn.status_code == 200, redrawn.text
    info = json.loads(redrawn.json()["info"])
    assert (info["sd_model_name"], info["width"]) == (model, 256)
    job = latest_job(three, headers)
    assert (job["params"]["model"], job["params"]["mode"]) == (model, "image")


def test_a1111_lists_the_three_and_an_unknown_checkpoint_is_400(three: Live) -> None:
    headers = three.key()
    listed = three.client.get("/sdapi/v1/sd-models", headers=headers).json()
    assert [checkpoint["title"] for checkpoint in listed] == [title(model) for model in MODELS]
    body = {"prompt": "x", "steps": 2, "width": 256, "height": 256}
    unknown = {"override_settings": {"sd_model_checkpoint": "sd_xl_base_1.0.safetensors"}}
    refused = three.client.post("/sdapi/v1/txt2img", json=body | unknown, headers=headers)
    assert refused.status_code == 400 and refused.json()["error"]["param"] == "sd_model_checkpoint"


def test_models_and_the_admin_page_show_the_three_and_what_is_loaded(three: Live) -> None:
    listed = three.client.get("/v1/models", headers=three.key()).json()["data"]
    assert [(model["id"], model["workers"]) for model in listed] == [(model, 1) for model in MODELS]
    worker = three.services.worker
    assert worker is not None
    loaded = set(worker.resident())
    assert "tiny" in loaded  # the default, loaded at start
    assert {model["id"] for model in listed if model["loaded"]} == loaded
    raw = three.key(admin=True)["x-api-key"]
    sign_in(three.client, raw)
    page = three.client.get("/admin/service").text
    assert f"<code>{worker.name}</code>" in page
    for model in MODELS:
        assert f"<code>{model}</code>{' (loaded)' if model in loaded else ''}" in page
