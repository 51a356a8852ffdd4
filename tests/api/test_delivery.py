"""SFUMATO_IMAGE_DELIVERY: the key-free URLs (/p/ published, /i/ access) answer with the bytes, or with a
307 to a presigned S3 URL or to the operator's public address for the storage."""

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest
from pydantic import ValidationError

from sfumato.engine.pipeline import DiffusersEngine
from tests.conftest import BUCKET, SMALL, Live, ManualClock, make_settings, start_live
from tests.servers import S3Server


def s3_settings(folder: Path, s3: S3Server, **overrides: object):  # type: ignore[no-untyped-def]
    return make_settings(
        folder, storage_url=f"s3://{BUCKET}/delivery-{folder.parent.name}", **s3.settings(), **overrides
    )


@pytest.fixture
def presigned(
    tmp_path: Path, s3: S3Server, tiny_engine: DiffusersEngine, clock: ManualClock
) -> Iterator[Live]:
    settings = s3_settings(tmp_path / "data", s3, image_delivery="presigned", presign_seconds=120)
    yield from start_live(settings, tiny_engine, clock=clock)


def published_image(live: Live) -> tuple[dict, dict[str, str]]:
    headers = live.key()
    job = live.client.post(
        "/v1/jobs", json={"prompt": "x", **SMALL}, headers=headers | {"Prefer": "wait=60"}
    ).json()
    (image,) = job["images"]
    return live.client.post(f"/v1/images/{image['id']}/publish", headers=headers).json(), headers


def test_published_urls_redirect_to_a_presigned_url_that_serves_the_image(presigned: Live) -> None:
    image, headers = published_image(presigned)
    answer = presigned.client.get(urlparse(image["url"]).path, follow_redirects=False)
    assert answer.status_code == 307 and answer.headers["cache-control"] == "no-store"
    location = answer.headers["location"]
    assert (
        location.startswith(presigned.services.settings.s3_endpoint_url) and "X-Amz-Expires=120" in location
    )
    content = presigned.client.get(f"/v1/images/{image['id']}/content", headers=headers).content
    assert httpx.get(location).content == content and content.startswith(b"\x89PNG")


def test_a_presigned_url_never_outlives_the_image(presigned: Live, clock: ManualClock) -> None:
    image, _ = published_image(presigned)
    clock.advance(days=30, seconds=-30)  # 30 seconds left of its 30 days
    location = presigned.client.get(urlparse(image["url"]).path, follow_redirects=False).headers["location"]
    assert "X-Amz-Expires=30&" in location or "X-Amz-Expires=29&" in location
    clock.advance(seconds=31)
    assert presigned.client.get(urlparse(image["url"]).path, follow_redirects=False).status_code == 404


def test_unpublished_images_are_not_redirected(presigned: Live) -> None:
    image, headers = published_image(presigned)
    presigned.client.post(f"/v1/images/{image['id']}/unpublish", headers=headers)
    assert presigned.client.get(urlparse(image["url"]).path, follow_redirects=False).status_code == 404


def test_access_urls_of_the_hosted_dialects_redirect_too(presigned: Live) -> None:
    body = presigned.client.post(
        "/api/generate-image", json={"prompt": "x", "width": 512, "height": 512}, headers=presigned.key()
    ).json()
    answer = presigned.client.get(urlparse(body["url"]).path, follow_redirects=False)
    assert answer.status_code == 307 and httpx.get(answer.headers["location"]).content.startswith(b"\x89PNG")


def test_public_delivery_redirects_to_the_operator_s_address_for_the_key(
    tmp_path: Path, s3: S3Server, tiny_engine: DiffusersEngine
) -> None:
    settings = s3_settings(
        tmp_path / "data", s3, image_delivery="public", storage_public_url="https://cdn.example.com/images/"
    )
    for live in start_live(settings, tiny_engine):
        image, headers = published_image(live)
        key = live.services.images.get(live.services.keys.authenticate(headers["x-api-key"]), image["id"])
        answer = live.client.get(urlparse(image["url"]).path, follow_redirects=False)
        assert (answer.status_code, answer.headers["location"]) == (
            307,
            f"https://cdn.example.com/images/{key.storage_key}",
        )


def test_api_delivery_sends_the_bytes_from_s3(
    tmp_path: Path, s3: S3Server, tiny_engine: DiffusersEngine
) -> None:
    for live in start_live(s3_settings(tmp_path / "data", s3), tiny_engine):
        image, _ = published_image(live)
        answer = live.client.get(urlparse(image["url"]).path, follow_redirects=False)
        assert answer.status_code == 200 and answer.content.startswith(b"\x89PNG")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"image_delivery": "presigned"}, "needs s3:// storage"),
        ({"image_delivery": "public"}, "needs SFUMATO_STORAGE_PUBLIC_URL"),
        ({"image_delivery": "cdn"}, "image_delivery"),
    ],
)
def test_delivery_settings_that_cannot_work_are_refused(
    tmp_path: Path, overrides: dict, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        make_settings(tmp_path, **overrides)
