"""A PNG made here carries AUTOMATIC1111's infotext in its `parameters` chunk, and Sfumato's own JSON in
`sfumato`; `/sdapi/v1/png-info` reads it back as AUTOMATIC1111's does (modules/api/api.py, `pnginfoapi`:
`info` the infotext, `items` the file's other text, `parameters` what modules/infotext_utils.py's
`parse_generation_parameters` makes of it). The content credentials, signed over the file's final bytes, still
hold."""

import base64
import json

from tests.api.test_images_in import content
from tests.conftest import Live
from tests.imaging.test_infotext import A1111_TEXT, png_with


def test_a_generated_png_reads_back_through_png_info_with_its_credentials_intact(live: Live) -> None:
    headers = live.key()
    job = live.client.post(
        "/v1/jobs",
        json={
            "prompt": "a red fox, in snow",
            "negative_prompt": "blurry",
            "seed": 42,
            "width": 256,
            "height": 320,
            "steps": 3,
            "guidance_scale": 1.5,
        },
        headers=headers | {"Prefer": "wait=60"},
    ).json()
    data = content(live, job["images"][0], headers)
    answer = live.client.post(
        "/sdapi/v1/png-info", json={"image": base64.b64encode(data).decode()}, headers=headers
    ).json()
    assert answer["info"].startswith(
        "a red fox, in snow\nNegative prompt: blurry\nSteps: 3, Sampler: Euler, "
    )
    found = answer["parameters"]
    assert (found["Prompt"], found["Negative prompt"], found["Seed"], found["Steps"]) == (
        "a red fox, in snow",
        "blurry",
        "42",
        "3",
    )
    assert (found["Size-1"], found["Size-2"], found["CFG scale"], found["Model"]) == (
        "256",
        "320",
        "1.5",
        "tiny",
    )
    own = json.loads(answer["items"]["sfumato"])
    assert own["seed"] == 42 and own["prompt"] == "a red fox, in snow"
    verified = live.client.post(
        "/v1/credentials/verify", files={"file": ("fox.png", data, "image/png")}, headers=headers
    ).json()
    assert verified["present"] and verified["valid"]


def test_png_info_reads_automatic1111s_own_files_and_says_nothing_of_a_file_without_text(live: Live) -> None:
    headers = live.key()
    theirs = base64.b64encode(png_with({"parameters": A1111_TEXT})).decode()
    answer = live.client.post(
        "/sdapi/v1/png-info", json={"image": f"data:image/png;base64,{theirs}"}, headers=headers
    )
    assert answer.status_code == 200
    assert answer.json()["info"] == A1111_TEXT and answer.json()["parameters"]["Sampler"] == "DPM++ 2M"
    plain = base64.b64encode(png_with({})).decode()
    assert live.client.post("/sdapi/v1/png-info", json={"image": plain}, headers=headers).json() == {
        "info": "",
        "items": {},
        "parameters": {},
    }
    refused = live.client.post("/sdapi/v1/png-info", json={"image": "not base64 !"}, headers=headers)
    assert refused.status_code == 400 and refused.json()["error"]["param"] == "image"
