"""Images in on the native API (docs/api.md §11): image-to-image by image id and by data URL, inpainting,
and every bad input refused with nothing stored, on both deployments."""

import io
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from sfumato.app import IMAGE_ROUTES
from sfumato.engine.pipeline import DiffusersEngine
from tests.api.test_errors import assert_envelope
from tests.conftest import SMALL, Deployment, Live, polled, start_live
from tests.pictures import SVG, bomb, data_url, encoded, noise, png, rotated_jpeg, square_mask


def ended(live: Live, job_id: str, headers: dict, seconds: float = 60) -> dict:
    def read() -> dict:
        return dict(live.client.get(f"/v1/jobs/{job_id}", headers=headers).json())

    return polled(read, lambda job: job["status"] in ("succeeded", "failed", "canceled"), seconds)


def made(live: Live, headers: dict, **fields: object) -> dict:
    response = live.client.post("/v1/jobs", json={"prompt": "a cat", **fields}, headers=headers)
    assert response.status_code == 202, response.text
    job = ended(live, response.json()["id"], headers)
    assert job["status"] == "succeeded", job
    return job


def content(live: Live, image: dict, headers: dict) -> bytes:
    return live.client.get(f"/v1/images/{image['id']}/content", headers=headers).content


def pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=np.int16)


def test_an_image_of_the_key_is_redrawn_keeping_its_name_and_size(live: Live) -> None:
    headers = live.key()
    first = made(live, headers, name="apple", width=256, height=384)["images"][0]
    job = made(live, headers, prompt="a green apple", image=first["id"], seed=4)
    (image,) = job["images"]
    assert (image["name"], image["width"], image["height"]) == ("apple", 256, 384)
    assert image["source_image_id"] == first["id"]
    assert job["params"]["mode"] == "image" and job["params"]["strength"] == 0.6
    assert "input_key" not in job["params"] and job["params"]["source_image_id"] == first["id"]
    assert made(live, headers, image=first["id"], name="pear")["images"][0]["name"] == "pear"


def test_a_data_url_is_redrawn_at_its_own_size_rounded(live: Live) -> None:
    headers = live.key()
    job = made(live, headers, image=data_url(png(300, 250)))
    (image,) = job["images"]
    assert (image["width"], image["height"], image["name"], image["source_image_id"]) == (
        320,
        256,
        "a cat",  # no name given, nor one of the key's images: the prompt's first words
        None,
    )
    assert Image.open(io.BytesIO(content(live, image, headers))).size == (320, 256)


def test_the_same_seed_and_input_give_the_same_pixels(live: Live) -> None:
    headers = live.key()
    body = {"image": data_url(png(256, 256, seed=9)), "seed": 11, "strength": 0.5}
    first, again = (made(live, headers, **body)["images"][0] for _ in range(2))
    # the files differ: each carries its own signed content credentials
    assert np.array_equal(pixels(content(live, first, headers)), pixels(content(live, again, headers)))


def test_an_inpainted_image_keeps_the_input_outside_the_mask(live: Live) -> None:
    headers = live.key()
    source = png(256, 256, seed=5)
    mask = square_mask(256, 256, (64, 64, 192, 192))
    job = made(live, headers, image=data_url(source), mask=data_url(mask), strength=1.0, seed=3)
    assert job["params"]["mode"] == "inpaint"
    out, given = pixels(content(live, job["images"][0], headers)), pixels(source)
    outside = np.ones((256, 256), bool)
    outside[48:208, 48:208] = False
    assert np.abs(out - given)[outside].max() <= 2
    assert np.abs(out - given)[80:176, 80:176].mean() > 20


def test_imagine_takes_an_image_too(live: Live) -> None:
    headers = live.key()
    response = live.client.post(
        "/v1/images/imagine",
        json={"name": "mine", "prompt": "a cat", "image": data_url(encoded(noise(256, 256), "WEBP"))},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    assert (response.json()["name"], response.json()["width"]) == ("mine", 256)


def test_imagine_from_an_image_of_the_key_keeps_its_name_when_none_is_given(live: Live) -> None:
    headers = live.key()
    first = made(live, headers, name="apple", **SMALL)["images"][0]
    before = counts(live, headers)
    response = live.client.post(
        "/v1/images/imagine", json={"prompt": "a green apple", "image": first["id"]}, headers=headers
    )
    assert response.status_code == 201, response.text
    assert (response.json()["name"], response.json()["source_image_id"]) == ("apple", first["id"])
    assert counts(live, headers)[1] == before[1] + 1


@pytest.mark.parametrize("image", [None, "picture"])
def test_imagine_without_a_name_no_image_of_the_key_gives_is_refused(live: Live, image: str | None) -> None:
    headers = live.key()
    before = counts(live, headers)
    body = {"prompt": "a cat"} | ({"image": data_url(png(256, 256))} if image else {})
    response = live.client.post("/v1/images/imagine", json=body, headers=headers)
    error = assert_envelope(response, 400, "invalid_request_error", "parameter_missing", "name")
    assert error["message"] == "name is required"
    assert counts(live, headers) == before


def test_exif_orientation_is_applied_before_the_size_is_taken(live: Live) -> None:
    headers = live.key()
    image = made(live, headers, image=data_url(rotated_jpeg(512, 256), "image/jpeg"))["images"][0]
    assert (image["width"], image["height"]) == (256, 512)


def counts(live: Live, headers: dict) -> tuple[int, int, int]:
    jobs = live.client.get("/v1/jobs", headers=headers).json()["data"]
    images = live.client.get("/v1/images", headers=headers).json()["data"]
    return len(jobs), len(images), len(live.stored())


BAD = [
    ({"image": data_url(SVG, "image/svg+xml")}, 400, "image", "not a PNG, JPEG or WebP"),
    ({"image": data_url(png(64, 64)[:300])}, 400, "image", "truncated or corrupt"),
    ({"image": data_url(bomb(50_000, 50_000))}, 400, "image", "pixels"),
    ({"image": "not an image"}, 400, "image", "PNG, JPEG or WebP"),
    ({"image": "data:image/png;base64,%%%"}, 400, "image", "base64"),
    (
        {"image": data_url(png(256, 256)), "mask": data_url(square_mask(128, 128, (0, 0, 64, 64)))},
        400,
        "mask",
        "size",
    ),
    ({"mask": data_url(png(64, 64))}, 400, "mask", "image"),
    ({"strength": 0.5}, 400, "strength", "image"),
    ({"image": data_url(png(64, 64)), "strength": 2}, 400, "strength", "between 0 and 1"),
    ({"image": "image_000000000000000000000000"}, 404, "image", "no image"),
]


@pytest.mark.parametrize(("fields", "status", "param", "says"), BAD)
@pytest.mark.parametrize("route", ["/v1/jobs", "/v1/images/imagine", "/api/v1/image"])
def test_bad_input_names_its_field_and_stores_nothing(
    live: Live, route: str, fields: dict, status: int, param: str, says: str
) -> None:
    headers = live.key()
    before = counts(live, headers)
    response = live.client.post(route, json={"prompt": "a cat", "name": "n", **fields}, headers=headers)
    kind, code = (
        ("invalid_request_error", "parameter_invalid") if status == 400 else ("not_found_error", "not_found")
    )
    error = assert_envelope(response, status, kind, code, param)
    assert says in error["message"]
    assert counts(live, headers) == before


def test_another_keys_image_is_404_as_if_it_did_not_exist(live: Live) -> None:
    owner, stranger = live.key(), live.key()
    theirs = made(live, owner, **SMALL)["images"][0]["id"]
    before = counts(live, stranger)
    response = live.client.post("/v1/jobs", json={"prompt": "x", "image": theirs}, headers=stranger)
    assert_envelope(response, 404, "not_found_error", "not_found", "image")
    assert counts(live, stranger) == before


def test_the_input_goes_with_its_job_and_with_its_last_image(live: Live) -> None:
    headers = live.key()
    job = made(
        live, headers, image=data_url(png(256, 256)), mask=data_url(square_mask(256, 256, (0, 0, 9, 9)))
    )
    stored = {key.split("/")[1] for key in live.stored(job["id"])}
    # beside the job's one image; the input also as its C2PA parent ingredient (docs/credentials.md)
    assert len(stored) == 4 and {"input.png", "mask.png", "ingredient.c2pa"} < stored
    live.client.delete(f"/v1/images/{job['images'][0]['id']}", headers=headers)
    assert live.stored(job["id"]) == []
    other = made(live, headers, image=data_url(png(256, 256)))
    assert len(live.stored(other["id"])) == 3  # the image, the input and its ingredient
    assert live.client.delete(f"/api/v1/image/{other['id']}", headers=headers).status_code == 200
    assert live.stored(other["id"]) == []


@pytest.fixture
def small_inputs(tmp_path: Path, tiny_engine: DiffusersEngine, deployment: Deployment) -> Iterator[Live]:
    settings = deployment.settings(tmp_path / "data", max_input_bytes=50_000, max_body_bytes=4096)
    yield from start_live(settings, tiny_engine)


def test_an_input_over_the_byte_limit_is_413_and_a_body_over_the_route_limit_too(small_inputs: Live) -> None:
    live = small_inputs
    headers = live.key()
    before = counts(live, headers)
    # A body past SFUMATO_MAX_BODY_BYTES and two inputs' worth of base64: refused before it is read.
    huge = live.client.post(
        "/v1/jobs", json={"prompt": "x", "image": data_url(png(220, 220))}, headers=headers
    )
    assert_envelope(huge, 413, "invalid_request_error", "payload_too_large")
    # Within the route's limit, but one input past SFUMATO_MAX_INPUT_BYTES: 413 naming it.
    large = live.client.post(
        "/v1/jobs", json={"prompt": "x", "image": data_url(png(140, 140))}, headers=headers
    )
    assert_envelope(large, 413, "invalid_request_error", "payload_too_large", "image")
    assert counts(live, headers) == before
    # A small input in a body larger than SFUMATO_MAX_BODY_BYTES alone: the route takes it.
    small = live.client.post(
        "/v1/jobs", json={"prompt": "x", "image": data_url(png(40, 40))}, headers=headers
    )
    assert small.status_code == 202, small.text


def test_every_route_that_takes_images_allows_their_bytes_and_no_other(small_inputs: Live) -> None:
    for path in ("/v1/images/edits", "/openai/deployments/gpt-image-1/images/edits", "/sdapi/v1/img2img"):
        assert IMAGE_ROUTES.fullmatch(path), path
    for path in ("/v1/images/generations", "/sdapi/v1/txt2img", "/sdapi/v1/options", "/v1/jobs/x/events"):
        assert not IMAGE_ROUTES.fullmatch(path), path
    live = small_inputs
    key = live.key()["x-api-key"]
    body = {"init_images": [data_url(png(40, 40))], "width": 256, "height": 256, "steps": 1}
    assert len(json.dumps(body)) > 4096  # past SFUMATO_MAX_BODY_BYTES alone
    answer = live.client.post("/sdapi/v1/img2img", json=body, headers={"x-api-key": key})
    assert answer.status_code == 200, answer.text
    options = live.client.post("/sdapi/v1/options", json={"notes": "x" * 5000}, headers={"x-api-key": key})
    assert_envelope(options, 413, "invalid_request_error", "payload_too_large")
