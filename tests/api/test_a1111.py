"""AUTOMATIC1111's API with the bodies its clients really send (docs/clients.md), on both deployments.

The bodies are written from the clients' own source:
- SillyTavern: public/scripts/extensions/stable-diffusion/index.js, generateAutoImage (the whole body goes on,
  `url` and `auth` included); src/endpoints/stable-diffusion.js (Authorization: Basic of `auth`, "" by
  default).
- Open WebUI: backend/open_webui/routers/images.py (txt2img with batch_size; GET /options, then POST of the
  whole dict back with sd_model_checkpoint changed; `authorization: Basic ` when no auth is set).
- LibreChat: api/app/clients/tools/structured/StableDiffusion.js (no auth header; reads images[0] split at the
  first comma, JSON.parse(info).infotexts[0], .seed, .width, .height)."""

import base64
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from sfumato.engine.pipeline import DiffusersEngine
from tests.api.test_errors import assert_envelope
from tests.conftest import Deployment, Live, start_live, wait_until
from tests.pictures import data_url, png, square_mask


def basic(key: str, user: str = "sfumato") -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{key}".encode()).decode()}


def key_of(headers: dict[str, str]) -> str:
    return headers["x-api-key"]


def picture(b64: str) -> Image.Image:
    assert "," not in b64 and not b64.startswith("data:")  # raw: LibreChat keeps what is before a comma
    return Image.open(io.BytesIO(base64.b64decode(b64.split(",", 1)[0])))


SILLYTAVERN = {
    "url": "http://localhost:7860",
    "auth": "sfumato:KEY",
    "prompt": "a lighthouse on a cliff, masterpiece",
    "negative_prompt": "lowres, bad anatomy",
    "sampler_name": "DPM++ 2M",
    "scheduler": "normal",
    "steps": 20,
    "cfg_scale": 7,
    "width": 256,
    "height": 256,
    "restore_faces": False,
    "enable_hr": False,
    "hr_upscaler": "Latent",
    "hr_scale": 1.0,
    "hr_additional_modules": [],
    "denoising_strength": 0.7,
    "hr_second_pass_steps": 0,
    "seed": 1234,
    "override_settings": {"CLIP_stop_at_last_layers": 1, "sd_vae": "Automatic"},
    "override_settings_restore_afterwards": True,
    "clip_skip": 1,
    "save_images": True,
    "send_images": True,
    "do_not_save_grid": False,
    "do_not_save_samples": False,
    "alwayson_scripts": {"ADetailer": {"args": [True, True, {"ad_model": "face_yolov8n.pt"}]}},
}


def test_sillytaverns_whole_body_makes_its_image_with_info_saying_what_ran(live: Live) -> None:
    key = key_of(live.key(plan="professional"))
    body = SILLYTAVERN | {"auth": f"sfumato:{key}"}
    answer = live.client.post("/sdapi/v1/txt2img", json=body, headers=basic(key))
    assert answer.status_code == 200, answer.text
    result = answer.json()
    (image,) = result["images"]
    assert picture(image).format == "PNG" and picture(image).size == (256, 256)
    info = json.loads(result["info"])  # a JSON string, parsed by the clients
    assert (info["seed"], info["all_seeds"], info["width"], info["height"]) == (1234, [1234], 256, 256)
    assert (info["sampler_name"], info["steps"], info["sd_model_name"]) == ("Euler", 20, "tiny")
    assert info["cfg_scale"] < 1  # 7 on a distilled model's scale: no guidance (docs/clients.md)
    text = info["infotexts"][0]
    assert text.startswith("a lighthouse on a cliff, masterpiece\nNegative prompt: lowres, bad anatomy\n")
    last = text.split("\n").pop()  # what LibreChat keeps
    assert "Steps: 20, Sampler: Euler, Schedule type: SGM Uniform" in last and "Seed: 1234" in last
    assert "Requested sampler: DPM++ 2M" in last and "Size: 256x256" in last
    assert result["parameters"]["prompt"] == body["prompt"] and result["parameters"]["steps"] == 20


def test_open_webuis_batch_with_steps_out_of_range_and_its_empty_basic(live: Live) -> None:
    key = key_of(live.key(plan="professional"))
    body = {
        "prompt": "two owls",
        "batch_size": 2,
        "width": 300,
        "height": 260,
        "steps": 80,
        "negative_prompt": "x",
    }
    answer = live.client.post("/sdapi/v1/txt2img", json=body, headers={"authorization": f"Bearer {key}"})
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert [picture(image).size for image in result["images"]] == [(320, 256), (320, 256)]  # to 64s
    info = json.loads(result["info"])
    assert info["steps"] == 50 and info["all_seeds"] == [
        info["seed"],
        info["seed"] + 1,
    ]  # into tiny's 1 to 50
    refused = live.client.post("/sdapi/v1/txt2img", json=body, headers={"authorization": "Basic "})
    assert_envelope(refused, 401, "authentication_error", "invalid_api_key")


LIBRECHAT = {
    "prompt": "a fox",
    "negative_prompt": "",
    "sampler_index": "DPM++ 2M Karras",
    "cfg_scale": 4.5,
    "steps": 6,
    "width": 256,
    "height": 256,
}


def test_keyless_requests_are_401_in_the_envelope(live: Live) -> None:
    for headers in ({}, {"Authorization": "Basic dW5kZWZpbmVk"}, {"Authorization": "Basic "}):  # "undefined"
        answer = live.client.post("/sdapi/v1/txt2img", json=LIBRECHAT, headers=headers)
        assert_envelope(answer, 401, "authentication_error", "invalid_api_key")


@pytest.fixture
def anonymous(
    tmp_path: Path, tiny_engine: DiffusersEngine, deployment: Deployment
) -> Iterator[tuple[Live, str]]:
    settings = deployment.settings(tmp_path / "data")
    for live in start_live(settings, tiny_engine):
        key, _ = live.services.keys.create("for keyless clients", plan="professional")
        live.services.access.anonymous_key_id = key.id  # SFUMATO_A1111_ANONYMOUS_KEY
        yield live, key.id


def test_a_named_anonymous_key_serves_librechats_keyless_body(anonymous: tuple[Live, str]) -> None:
    live, key_id = anonymous
    answer = live.client.post("/sdapi/v1/txt2img", json=LIBRECHAT)
    assert answer.status_code == 200, answer.text
    data = answer.json()
    image = Image.open(
        io.BytesIO(base64.b64decode(data["images"][0].split(",", 1)[0]))
    )  # as LibreChat reads it
    info = json.loads(data["info"])
    assert image.size == (info["width"], info["height"]) == (256, 256)
    assert info["infotexts"][0].split("\n").pop().startswith("Steps: 6") and info["seed"] >= 0
    key = live.services.keys.get(key_id)
    assert len(live.services.generation.list_jobs(key, limit=10, after=None, status=None).items) == 1
    assert live.client.get("/v1/jobs").status_code == 401  # only AUTOMATIC1111's routes take keyless requests


def test_the_hires_fix_makes_the_images_larger_then_redraws_them(live: Live) -> None:
    key = key_of(live.key(plan="professional"))
    body = {
        "prompt": "a castle",
        "width": 256,
        "height": 256,
        "steps": 4,
        "seed": 7,
        "enable_hr": True,
        "hr_scale": 2,
        "hr_upscaler": "Latent",
        "denoising_strength": 0.5,
        "n_iter": 2,
    }
    answer = live.client.post("/sdapi/v1/txt2img", json=body, headers=basic(key))
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert [picture(image).size for image in result["images"]] == [(512, 512), (512, 512)]
    info = json.loads(result["info"])
    assert info["all_seeds"] == [7, 8] and info["denoising_strength"] == 0.5
    assert (
        "Hires resize: 512x512" in info["infotexts"][0] and "Hires upscaler: Lanczos" in info["infotexts"][0]
    )


def test_a_width_past_any_float_is_translated_not_a_500(live: Live) -> None:
    # No float holds it: dividing it by 64 overflowed. The largest ones go to 2048 (test_a1111_translate.py);
    # this one, below every size, to the smallest.
    digits = "-" + "9" * 400
    body = '{"prompt": "p", "width": ' + digits + ', "height": 256, "steps": 1}'
    headers = basic(key_of(live.key())) | {"content-type": "application/json"}
    answer = live.client.post("/sdapi/v1/txt2img", content=body.encode(), headers=headers)
    assert answer.status_code == 200, answer.text
    assert [picture(image).size for image in answer.json()["images"]] == [(256, 256)]
    assert f"Requested size: {digits}x256" in json.loads(answer.json()["info"])["infotexts"][0]


def test_img2img_takes_data_urls_and_raw_base64_with_a1111s_masks(live: Live) -> None:
    key = key_of(live.key(plan="professional"))
    source = png(256, 256, seed=4)
    body = {
        "prompt": "at night",
        "init_images": [data_url(source)],
        "denoising_strength": 0.5,
        "width": 256,
        "height": 256,
        "seed": 3,
        "steps": 4,
    }
    answer = live.client.post("/sdapi/v1/img2img", json=body, headers=basic(key))
    assert answer.status_code == 200, answer.text
    assert picture(answer.json()["images"][0]).size == (256, 256)
    assert answer.json()["parameters"]["init_images"] is None  # not echoed unless include_init_images
    raw = base64.b64encode(source).decode()
    mask = base64.b64encode(square_mask(256, 256, (0, 0, 128, 128))).decode()
    inpainted = live.client.post(
        "/sdapi/v1/img2img",
        json=body
        | {"init_images": [raw], "mask": mask, "denoising_strength": 1.0, "inpainting_mask_invert": 1},
        headers=basic(key),
    )
    assert inpainted.status_code == 200, inpainted.text
    out = picture(inpainted.json()["images"][0]).convert("RGB")
    given = Image.open(io.BytesIO(source)).convert("RGB")
    # inverted: the white square is kept, the rest repainted
    assert out.crop((0, 0, 100, 100)).tobytes() == given.crop((0, 0, 100, 100)).tobytes()
    missing = live.client.post("/sdapi/v1/img2img", json={"prompt": "x"}, headers=basic(key))
    assert_envelope(missing, 400, "invalid_request_error", "parameter_invalid", "init_images")


def test_options_keep_what_a_client_sets_and_pick_among_the_served_models(live: Live) -> None:
    headers = live.key()
    options = live.client.get("/sdapi/v1/options", headers=headers).json()
    assert options["sd_model_checkpoint"].startswith("tiny [") and "forge_preset" not in options
    models = live.client.get("/sdapi/v1/sd-models", headers=headers).json()
    assert [model["title"] for model in models] == [options["sd_model_checkpoint"]]
    # Open WebUI: the whole dict back, one key changed.
    answer = live.client.post("/sdapi/v1/options", json=options | {"my_setting": [1, 2]}, headers=headers)
    assert answer.status_code == 200 and answer.json() is None
    again = live.client.get("/sdapi/v1/options", headers=headers).json()
    assert again["my_setting"] == [1, 2] and again["sd_model_checkpoint"] == options["sd_model_checkpoint"]
    by_name = live.client.post("/sdapi/v1/options", json={"sd_model_checkpoint": "tiny"}, headers=headers)
    assert by_name.status_code == 200
    wrong = live.client.post("/sdapi/v1/options", json={"sd_model_checkpoint": "sd_xl_base"}, headers=headers)
    assert_envelope(wrong, 400, "invalid_request_error", "parameter_invalid", "sd_model_checkpoint")
    huge = live.client.post("/sdapi/v1/options", json={"blob": "x" * 70_000}, headers=headers)
    assert_envelope(huge, 413, "invalid_request_error", "payload_too_large")
    assert (
        live.client.get("/sdapi/v1/options", headers=live.key()).json().get("my_setting") is None
    )  # per key


def test_the_catalogs_list_what_is_really_there(live: Live) -> None:
    headers = live.key()
    get = lambda path: live.client.get(f"/sdapi/v1/{path}", headers=headers).json()  # noqa: E731
    assert [sampler["name"] for sampler in get("samplers")] == ["Euler"]
    assert {scheduler["name"] for scheduler in get("schedulers")} == {"automatic", "sgm_uniform"}
    assert [upscaler["name"] for upscaler in get("upscalers")] == ["None", "Lanczos"]
    assert get("latent-upscale-modes") == [] and get("sd-vae") == []
    assert get("scripts") == {"txt2img": [], "img2img": []}
    assert get("loras") == get("prompt-styles") == get("face-restorers") == get("hypernetworks") == []
    assert get("embeddings") == {"loaded": {}, "skipped": {}}
    refreshed = live.client.post("/sdapi/v1/refresh-checkpoints", headers=headers)
    assert refreshed.status_code == 200 and refreshed.json() is None


def test_progress_shows_the_keys_job_and_interrupt_cancels_it(live: Live) -> None:
    headers = live.key()
    idle = live.client.get("/sdapi/v1/progress", headers=headers).json()
    assert (idle["progress"], idle["state"]["job_count"]) == (0.0, 0)  # what SillyTavern and webuiapi await
    body = {"prompt": "long", "width": 1024, "height": 1024, "steps": 50}
    job = live.client.post("/v1/jobs", json=body, headers=headers).json()

    def status() -> str:
        return str(live.client.get(f"/v1/jobs/{job['id']}", headers=headers).json()["status"])

    wait_until(lambda: status() == "processing", 60)
    busy = live.client.get("/sdapi/v1/progress", headers=headers).json()
    assert (busy["state"]["job_count"], busy["state"]["job"], busy["state"]["sampling_steps"]) == (
        1,
        job["id"],
        50,
    )
    stranger = live.client.get("/sdapi/v1/progress", headers=live.key()).json()
    assert stranger["state"]["job_count"] == 0  # each key sees its own
    assert live.client.post("/sdapi/v1/interrupt", headers=headers).json() == {}
    wait_until(lambda: status() == "canceled", 60)
    assert live.client.post("/sdapi/v1/skip", headers=headers).json() is None


def test_more_images_than_the_plan_allows_is_403(live: Live) -> None:
    key = key_of(live.key())  # starter: one image a request
    answer = live.client.post("/sdapi/v1/txt2img", json={"prompt": "x", "batch_size": 2}, headers=basic(key))
    assert_envelope(answer, 403, "permission_error", "plan_forbidden", "n")
