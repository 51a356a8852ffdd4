"""Content credentials on every image (docs/credentials.md), on both deployments: each dialect's answer
carries the stored, signed file, which c2pa-python reads back as valid and, with the operator's CA as its
trust anchor, trusted, naming the model; an image made from another names it as its parent; and
POST /v1/credentials/verify tells signed, tampered and stripped files apart.

The dialects' requests are those of their own tests (test_imagine, test_sync_style, test_job_style,
test_openai_images, test_a1111), which take them from the clients' source."""

import base64
import stat
import time
from pathlib import Path

import pytest

from tests.conftest import SMALL, Live
from tests.manifests import TRAINED, ReadBack, read_back, stripped, tampered
from tests.pictures import data_url, encoded, noise, png

PATH = "/v1/credentials/verify"


@pytest.fixture(scope="module")
def ca(live: Live) -> bytes:
    """What an operator gives verifiers (`sfumato credentials show --ca-pem`): the local CA, made at start."""
    return (Path(live.services.settings.data_dir) / "c2pa" / "local-ca.pem").read_bytes()


def made_here(found: ReadBack, model: str = "tiny") -> None:
    assert (found.state, found.failures) == ("Trusted", [])
    action = found.actions()[-1]
    assert action["digitalSourceType"] == TRAINED and action["parameters"]["model"] == model
    assert action["softwareAgent"]["name"] == "Sfumato"


def key_free(url: str) -> str:
    return url.removeprefix("http://testserver")


def test_native_content_and_its_public_url_carry_the_signed_file(live: Live, ca: bytes) -> None:
    headers = live.key()
    image = live.client.post(
        "/v1/images/imagine", json={"name": "signed", "prompt": "a kite", **SMALL}, headers=headers
    ).json()
    content = live.client.get(f"/v1/images/{image['id']}/content", headers=headers).content
    found = read_back(content, ca)
    made_here(found)
    assert found.action("c2pa.created")  # made from nothing but a prompt
    assert found.manifest["title"] == image["id"] and len(content) == image["size"]
    published = live.client.post(f"/v1/images/{image['id']}/publish", headers=headers).json()
    assert live.client.get(key_free(published["url"])).content == content


@pytest.mark.parametrize("fmt", ["jpeg", "webp"])
def test_jpeg_and_webp_are_signed_too(live: Live, ca: bytes, fmt: str) -> None:
    headers = live.key()
    body = {"name": "f", "prompt": "a kite", "format": fmt, **SMALL}
    image = live.client.post("/v1/images/imagine", json=body, headers=headers).json()
    made_here(read_back(live.client.get(f"/v1/images/{image['id']}/content", headers=headers).content, ca))


def test_openais_b64_json_is_the_signed_file(live: Live, ca: bytes) -> None:
    body = {"model": "gpt-image-1", "prompt": "a tree", "size": "256x256", "response_format": "b64_json"}
    answer = live.client.post("/v1/images/generations", json=body, headers=live.key())
    assert answer.status_code == 200, answer.text
    made_here(read_back(base64.b64decode(answer.json()["data"][0]["b64_json"]), ca))


def test_automatic1111s_raw_base64_is_the_signed_file(live: Live, ca: bytes) -> None:
    body = {"prompt": "a lighthouse", "steps": 2, "width": 256, "height": 256}
    answer = live.client.post("/sdapi/v1/txt2img", json=body, headers=live.key())
    assert answer.status_code == 200, answer.text
    made_here(read_back(base64.b64decode(answer.json()["images"][0]), ca))


def test_the_synchronous_styles_url_is_the_signed_file(live: Live, ca: bytes) -> None:
    body = {"prompt": "a lake", "width": 512, "height": 512}
    answer = live.client.post("/api/generate-image", json=body, headers=live.key())
    assert answer.status_code == 200, answer.text
    made_here(read_back(live.client.get(key_free(answer.json()["url"])).content, ca))


def test_the_job_styles_image_url_is_the_signed_file(live: Live, ca: bytes) -> None:
    headers = live.key()
    job = live.client.post("/api/v1/image", json={"prompt": "an apple", **SMALL}, headers=headers).json()
    deadline = time.monotonic() + 60
    while (done := live.client.get(f"/api/v1/image/{job['job_id']}", headers=headers).json())["status"] != (
        "completed"
    ):
        assert done["status"] == "processing" and time.monotonic() < deadline, done
        time.sleep(0.05)
    made_here(read_back(live.client.get(key_free(done["image_url"])).content, ca))


def test_a_transform_names_its_source_as_parent(live: Live, ca: bytes) -> None:
    headers = live.key()
    source = live.client.post(
        "/v1/images/imagine", json={"name": "t", "prompt": "a kite", **SMALL}, headers=headers
    ).json()
    new = live.client.post(
        f"/v1/images/{source['id']}/transform", json={"format": "jpeg", "width": 128}, headers=headers
    ).json()
    found = read_back(live.client.get(f"/v1/images/{new['id']}/content", headers=headers).content, ca)
    assert (found.state, found.failures) == ("Trusted", [])
    assert [action["action"] for action in found.actions()] == [
        "c2pa.opened",
        "c2pa.converted",
        "c2pa.resized",
    ]
    (parent,) = found.parents()
    assert parent["title"] == source["id"]
    verdict = live.client.post(PATH, json={"image": new["id"]}, headers=headers).json()
    assert verdict["model"] == "tiny" and verdict["ingredients"][0]["title"] == source["id"]


def test_image_to_image_names_its_input_as_parent(live: Live, ca: bytes) -> None:
    headers = live.key()
    source = live.client.post(
        "/v1/images/imagine", json={"name": "i", "prompt": "a kite", **SMALL}, headers=headers
    ).json()
    body = {"name": "i", "prompt": "a kite at night", "image": source["id"], "steps": 2}
    again = live.client.post("/v1/images/imagine", json=body, headers=headers).json()
    found = read_back(live.client.get(f"/v1/images/{again['id']}/content", headers=headers).content, ca)
    made_here(found)
    assert found.action("c2pa.edited")["digitalSourceType"] == TRAINED
    (parent,) = found.parents()
    assert parent["title"] == source["id"] and parent["active_manifest"] in found.manifests


def test_an_uploaded_input_of_an_edit_is_its_parent(live: Live, ca: bytes) -> None:
    files = {"image": ("in.png", png(256, 256), "image/png")}
    data = {"prompt": "a door", "model": "gpt-image-1", "size": "256x256"}
    answer = live.client.post("/v1/images/edits", files=files, data=data, headers=live.key())
    assert answer.status_code == 200, answer.text
    found = read_back(base64.b64decode(answer.json()["data"][0]["b64_json"]), ca)
    made_here(found)
    (parent,) = found.parents()
    assert parent["title"] == "upload" and "active_manifest" not in parent  # it had no credentials


def test_verify_reads_one_of_the_keys_images_and_not_another_keys(live: Live) -> None:
    headers = live.key()
    image = live.client.post(
        "/v1/images/imagine", json={"name": "v", "prompt": "a kite", **SMALL}, headers=headers
    ).json()
    answer = live.client.post(PATH, json={"image": image["id"]}, headers=headers)
    assert answer.status_code == 200, answer.text
    verdict = answer.json()
    assert (verdict["present"], verdict["valid"], verdict["trusted"], verdict["model"]) == (
        True,
        True,
        True,
        "tiny",
    )
    assert verdict["signer"]["name"] == "Sfumato local signer"
    assert [action["action"] for action in verdict["actions"]] == ["c2pa.created"]
    assert verdict["actions"][0]["digital_source_type"] == TRAINED and verdict["ingredients"] == []
    other = live.client.post(PATH, json={"image": image["id"]}, headers=live.key())
    assert other.status_code == 404 and other.json()["error"]["code"] == "not_found"


def test_verify_tells_signed_tampered_and_stripped_uploads_apart(live: Live) -> None:
    headers = live.key()
    image = live.client.post(
        "/v1/images/imagine",
        json={"name": "u", "prompt": "a kite", "format": "jpeg", **SMALL},
        headers=headers,
    ).json()
    signed = live.client.get(f"/v1/images/{image['id']}/content", headers=headers).content

    def verdict(data: bytes) -> dict:
        answer = live.client.post(PATH, files={"file": ("x.jpeg", data, "image/jpeg")}, headers=headers)
        assert answer.status_code == 200, answer.text
        return answer.json()

    assert {k: verdict(signed)[k] for k in ("present", "valid", "trusted")} == {
        "present": True,
        "valid": True,
        "trusted": True,
    }
    broken = verdict(tampered(signed))
    assert (broken["present"], broken["valid"], broken["trusted"]) == (True, False, False)
    assert "assertion.dataHash.mismatch" in broken["failures"]
    assert verdict(stripped(signed)) | {"failures": []} == {
        "present": False,
        "valid": False,
        "trusted": False,
        "signer": None,
        "model": None,
        "actions": [],
        "ingredients": [],
        "failures": [],
    }
    assert verdict(encoded(noise(32, 32), "WEBP"))["present"] is False  # never signed at all


@pytest.mark.parametrize(
    ("request_args", "param", "code"),
    [
        ({"files": {"file": ("x.svg", b"<svg/>", "image/svg+xml")}}, "file", "parameter_invalid"),
        ({"files": {"other": ("x.png", b"x", "image/png")}}, "file", "parameter_missing"),
        ({"json": {}}, "image", "parameter_missing"),
        ({"json": {"image": 7}}, "image", "parameter_invalid"),
        ({"json": {"image": "image_0", "extra": 1}}, "extra", "parameter_invalid"),
        ({"content": b"{not json", "headers": {"content-type": "application/json"}}, None, "invalid_json"),
        ({"content": b"abc", "headers": {"content-type": "text/plain"}}, "file", "parameter_invalid"),
        ({"files": {"file": ("x.png", png(32, 32)[:60], "image/png")}}, "file", "parameter_invalid"),
        ({"json": {"image": data_url(png(8, 8))}}, None, "not_found"),  # ids only: no base64 here
    ],
)
def test_bad_input_is_answered_in_the_envelope(
    live: Live, request_args: dict, param: str | None, code: str
) -> None:
    given = dict(request_args)  # the same dict serves both deployments: left as it came
    headers = live.key() | given.pop("headers", {})
    answer = live.client.post(PATH, headers=headers, **given)
    error = answer.json()["error"]
    assert answer.status_code == (404 if code == "not_found" else 400), answer.text
    assert (error["param"], error["code"]) == (param, code)


def test_readyz_says_content_credentials_are_on_and_the_local_key_is_owner_only(live: Live) -> None:
    assert live.client.get("/readyz").json()["content_credentials"] == "on (local CA)"
    folder = Path(live.services.settings.data_dir) / "c2pa"
    assert stat.S_IMODE((folder / "local-signer.key").stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
