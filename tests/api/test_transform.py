"""POST /v1/images/{id}/transform: a new image with the same name, converted, resized or recompressed;
the original stays as it was."""

import io
import time

import numpy as np
import pytest
from PIL import Image

from tests.conftest import Live


@pytest.fixture(scope="module")
def made(live: Live) -> tuple[dict[str, str], dict]:
    headers = live.key("transforms", plan="professional")
    job = live.client.post(
        "/v1/jobs",
        json={"prompt": "a kite", "name": "kite", "width": 512, "height": 256, "seed": 3},
        headers=headers | {"Prefer": "wait=60"},
    ).json()
    assert job["status"] == "succeeded", job
    return headers, job["images"][0]


def content(live: Live, headers: dict[str, str], image_id: str) -> tuple[bytes, str]:
    answer = live.client.get(f"/v1/images/{image_id}/content", headers=headers)
    assert answer.status_code == 200
    return answer.content, answer.headers["content-type"]


def transform(live: Live, headers: dict[str, str], image_id: str, body: dict) -> dict:
    answer = live.client.post(f"/v1/images/{image_id}/transform", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_converting_makes_a_new_image_of_the_same_name_and_keeps_the_original(
    live: Live, made: tuple[dict[str, str], dict]
) -> None:
    headers, original = made
    before, _ = content(live, headers, original["id"])
    new = transform(live, headers, original["id"], {"format": "webp", "quality": 60})
    assert new["id"] != original["id"] and new["name"] == "kite"
    assert (new["format"], new["width"], new["height"]) == ("webp", 512, 256)
    assert (new["prompt"], new["seed"], new["job_id"]) == ("a kite", 3, original["job_id"])
    assert new["source_image_id"] == original["id"]
    data, content_type = content(live, headers, new["id"])
    assert content_type == "image/webp" and len(data) == new["size"]
    assert Image.open(io.BytesIO(data)).format == "WEBP"
    assert content(live, headers, original["id"])[0] == before  # untouched
    names = live.client.get("/v1/images", params={"name": "kite"}, headers=headers).json()["data"]
    assert {image["id"] for image in names} >= {original["id"], new["id"]}
    job = live.client.get(f"/v1/jobs/{original['job_id']}", headers=headers).json()
    assert [image["id"] for image in job["images"]] == [original["id"]]  # the job's own images only


@pytest.mark.parametrize(
    ("body", "size"),
    [
        ({"width": 256}, (256, 128)),  # alone, the other side follows the proportions
        ({"height": 64}, (128, 64)),
        ({"width": 100, "height": 100}, (100, 100)),  # both: scaled to cover, cropped to the centre
    ],
)
def test_resizing(live: Live, made: tuple[dict[str, str], dict], body: dict, size: tuple[int, int]) -> None:
    headers, original = made
    new = transform(live, headers, original["id"], body)
    assert (new["width"], new["height"]) == size and new["format"] == "png"
    assert Image.open(io.BytesIO(content(live, headers, new["id"])[0])).size == size


def test_recompressing_a_jpeg_at_lower_quality_makes_it_smaller(
    live: Live, made: tuple[dict[str, str], dict]
) -> None:
    headers, original = made
    fine = transform(live, headers, original["id"], {"format": "jpeg", "quality": 95})
    coarse = transform(live, headers, fine["id"], {"quality": 10})
    assert coarse["format"] == "jpeg" and coarse["size"] < fine["size"]


@pytest.mark.parametrize(
    ("body", "param", "code"),
    [
        ({}, "format", "parameter_missing"),
        ({"format": "gif"}, "format", "parameter_invalid"),
        ({"width": 4096}, "width", "parameter_invalid"),
        ({"width": 0}, "width", "parameter_invalid"),
        ({"quality": 101, "format": "jpeg"}, "quality", "parameter_invalid"),
        ({"quality": 50}, "quality", "parameter_invalid"),  # the original is a png: lossless
        ({"rotate": 90}, "rotate", "parameter_unknown"),
    ],
)
def test_bad_transforms_are_400_naming_the_field_and_make_nothing(
    live: Live, made: tuple[dict[str, str], dict], body: dict, param: str, code: str
) -> None:
    headers, original = made
    count = len(live.client.get("/v1/images", params={"limit": 100}, headers=headers).json()["data"])
    answer = live.client.post(f"/v1/images/{original['id']}/transform", json=body, headers=headers)
    assert answer.status_code == 400, answer.text
    assert (answer.json()["error"]["param"], answer.json()["error"]["code"]) == (param, code)
    assert len(live.client.get("/v1/images", params={"limit": 100}, headers=headers).json()["data"]) == count


def test_another_keys_image_cannot_be_transformed(live: Live, made: tuple[dict[str, str], dict]) -> None:
    _, original = made
    answer = live.client.post(
        f"/v1/images/{original['id']}/transform", json={"format": "jpeg"}, headers=live.key("stranger")
    )
    assert answer.status_code == 404


def _one_image(live: Live, headers: dict[str, str]) -> dict:
    job = live.client.post(
        "/v1/jobs",
        json={"prompt": "a kite", "width": 256, "height": 256},
        headers=headers | {"Prefer": "wait=60"},
    ).json()
    assert job["status"] == "succeeded", job
    return job["images"][0]


def test_a_transform_is_an_image_counted_against_the_month(live: Live) -> None:
    headers = live.key("counted", monthly_images=3)
    original = _one_image(live, headers)
    assert live.client.get("/v1/usage", headers=headers).json()["images_used"] == 1
    transform(live, headers, original["id"], {"width": 1024})
    transform(live, headers, original["id"], {"format": "jpeg"})
    assert live.client.get("/v1/usage", headers=headers).json()["images_used"] == 3
    refused = live.client.post(
        f"/v1/images/{original['id']}/transform", json={"width": 2048}, headers=headers
    )
    assert refused.status_code == 429, refused.text
    assert refused.json()["error"]["code"] == "quota_exceeded" and "Retry-After" in refused.headers
    assert len(live.client.get("/v1/images", headers=headers).json()["data"]) == 3  # nothing more made
    assert live.client.get("/v1/usage", headers=headers).json()["images_used"] == 3


def test_a_transform_counts_against_the_generation_requests_a_minute(live: Live) -> None:
    headers = live.key("limited", plan="professional", rpm=3)
    original = _one_image(live, headers)
    path = f"/v1/images/{original['id']}/transform"
    for _ in range(3):  # the real clock: a window that turns mid-way is waited out and tried again
        answers = [live.client.post(path, json={"width": 64}, headers=headers) for _ in range(4)]
        spent = next((a for a in answers if a.headers.get("RateLimit-Remaining") == "0"), None)
        if spent is None or int(spent.headers["RateLimit-Reset"]) < 2:
            time.sleep(int(answers[-1].headers.get("RateLimit-Reset", "1")) + 1)
            continue
        after = answers[answers.index(spent) + 1]
        assert spent.status_code == 201, spent.text
        assert after.status_code == 429 and after.json()["error"]["code"] == "rate_limit_exceeded"
        return
    raise AssertionError("the window never held still for four requests")


def test_both_sides_crop_the_centre_rather_than_stretch(
    live: Live, made: tuple[dict[str, str], dict]
) -> None:
    headers, original = made  # 512x256: to 256x256 it covers at scale 1, so the crop is the middle half
    source = Image.open(io.BytesIO(content(live, headers, original["id"])[0])).convert("RGB")
    new = transform(live, headers, original["id"], {"width": 256, "height": 256})
    made_now = Image.open(io.BytesIO(content(live, headers, new["id"])[0])).convert("RGB")
    centre = source.crop((128, 0, 384, 256))
    stretched = source.resize((256, 256))
    assert np.array_equal(np.asarray(made_now), np.asarray(centre))
    assert not np.array_equal(np.asarray(made_now), np.asarray(stretched))
