"""The synchronous dialect: its documented requests as written, its ranges, its response objects."""

import pytest

from sfumato.api.dialects.sync_style.schemas import SyncStyleRequest
from sfumato.api.dialects.sync_style.translate import model_guidance, to_generation
from sfumato.domain.models import MODELS
from tests.conftest import Live

# The seed document's examples, as they are written there (sizes there are 1024: kept).
QUICK_START = {
    "prompt": "A serene mountain lake at sunset",
    "style": "photorealistic",
    "width": 1024,
    "height": 1024,
}
FULL = {
    "prompt": "A serene mountain lake at sunset, with pink and orange clouds reflected in the still water, "
    "surrounded by pine trees and snow-capped peaks",
    "style": "photorealistic",
    "width": 1024,
    "height": 1024,
    "seed": 42,
    "guidance_scale": 7.5,
    "negative_prompt": "blurry, distorted, low quality",
}


def bearer(live: Live, plan: str = "starter") -> dict[str, str]:
    return {"Authorization": "Bearer " + live.key(plan=plan)["x-api-key"], "Content-Type": "application/json"}


def test_the_documented_request_answers_the_image_with_a_key_free_url(live: Live) -> None:
    answer = live.client.post("/api/generate-image", json=FULL, headers=bearer(live))
    assert answer.status_code == 200, answer.text
    image = answer.json()
    assert set(image) == {"id", "url", "width", "height", "created_at", "prompt", "seed"}
    assert image["id"].startswith("img_") and image["created_at"].endswith("Z")
    assert (image["width"], image["height"], image["seed"], image["prompt"]) == (
        1024,
        1024,
        42,
        FULL["prompt"],
    )
    content = live.client.get(image["url"].removeprefix("http://testserver"))  # no key
    assert content.status_code == 200 and content.content[:4] == b"\x89PNG"


def test_the_quick_start_request_as_written(live: Live) -> None:
    answer = live.client.post("/api/generate-image", json=QUICK_START, headers=bearer(live))
    assert answer.status_code == 200, answer.text
    image = answer.json()
    assert (image["width"], image["height"]) == (1024, 1024) and isinstance(image["seed"], int)


def test_the_defaults_are_the_documented_ones(live: Live) -> None:
    headers = bearer(live)
    answer = live.client.post("/api/generate-image", json={"prompt": "a lake"}, headers=headers)
    assert answer.status_code == 200, answer.text
    image = answer.json()
    assert (image["width"], image["height"]) == (1024, 1024)
    (job,) = live.client.get("/v1/jobs", headers=headers).json()["data"]
    assert job["params"]["style"] == "photorealistic"
    # docs/clients.md: 1 to 20 maps linearly onto 0 to 2, so the default 7.5 is (7.5 - 1) / 19 * 2 = 0.6842
    # (written out here, not computed by the code under test).
    assert job["params"]["guidance_scale"] == pytest.approx(0.6842, abs=1e-4)


def test_n_above_one_answers_a_data_list_with_consecutive_seeds(live: Live) -> None:
    body = {
        "prompt": "A serene mountain lake at sunset",
        "style": "photorealistic",
        "n": 3,
        "width": 512,
        "height": 512,
        "seed": 10,
    }
    answer = live.client.post("/api/generate-image", json=body, headers=bearer(live, "professional"))
    assert answer.status_code == 200, answer.text
    assert [image["seed"] for image in answer.json()["data"]] == [10, 11, 12]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("width", 500, "width must be one of 512, 768, 1024, 1536, or 1920"),
        ("height", 2048, "height must be one of 512, 768, 1024, 1536, or 1920"),
        ("style", "anime", "style must be one of"),
        ("guidance_scale", 0.5, "guidance_scale must be between 1.0 and 20.0"),
        ("seed", -1, "seed must be between 0 and 2147483647"),
        ("prompt", "x" * 1001, "prompt must be at most 1000 characters"),
        ("n", 11, "n must be between 1 and 10"),
    ],
)
def test_invalid_input_is_400_with_param(live: Live, field: str, value: object, message: str) -> None:
    body = {"prompt": "x", field: value}
    answer = live.client.post("/api/generate-image", json=body, headers=bearer(live))
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert (error["type"], error["param"]) == ("invalid_request_error", field)
    assert error["message"].startswith(message)


def test_a_missing_prompt_is_400_parameter_missing(live: Live) -> None:
    answer = live.client.post("/api/generate-image", json={"style": "sketch"}, headers=bearer(live))
    assert answer.status_code == 400
    assert (answer.json()["error"]["code"], answer.json()["error"]["param"]) == (
        "parameter_missing",
        "prompt",
    )


def test_a_bad_key_is_401(live: Live) -> None:
    answer = live.client.post("/api/generate-image", json=FULL, headers={"Authorization": "Bearer sfm_nope"})
    assert answer.status_code == 401


def test_guidance_maps_onto_what_a_distilled_model_can_use() -> None:
    lightning, tiny = MODELS["sdxl-lightning"], MODELS["tiny"]
    assert model_guidance(1.0, lightning) == 0.0
    assert model_guidance(7.5, lightning) < 1.0  # the default: no guidance, full speed
    assert model_guidance(20.0, lightning) == 2.0
    assert model_guidance(7.5, tiny) == model_guidance(7.5, lightning)


def test_it_keeps_the_default_model_whatever_model_a_body_names() -> None:
    body = SyncStyleRequest.model_validate(
        QUICK_START | {"model": "tiny-flux"}
    )  # ignored, as unknown fields are
    assert to_generation(body, MODELS["tiny"]).model is None  # None: the process's default model
