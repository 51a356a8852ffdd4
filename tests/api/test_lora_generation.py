"""LoRA adapters in generation, through every dialect that takes them (docs/api.md §16), on a worker of the
tiny model with LoRAs made by PEFT (tests/loras.py): an adapter changes the image, weight 0 is the image
without it, two combine, and one request gives one image whichever dialect carries it.

AUTOMATIC1111's side is taken from its source: modules/extra_networks.py (`re_extra_net`, `parse_prompt`:
every `<name:args>` is cut from the prompt, its arguments split at ':'),
extensions-builtin/Lora/extra_networks_lora.py (the first argument is the network's name, the second its
multiplier, 1.0 when absent; "Lora hashes" in the infotext as "alias: shorthash"),
extensions-builtin/Lora/scripts/lora_script.py (`create_lora_json`: GET /sdapi/v1/loras lists `name`,
`alias`, `path`, `metadata`)."""

import base64
import io
import json
from collections.abc import Iterator

import numpy as np
import pytest
from PIL import Image

from sfumato.engine.pipeline import DiffusersEngine
from sfumato.engine.registry import load_engine
from tests.conftest import SMALL, Deployment, Live, polled, start_live
from tests.loras import tiny_lora

PROMPT = "a lighthouse on a cliff"
SEED = 4242


@pytest.fixture(scope="module")
def engine() -> DiffusersEngine:
    """An engine of its own: the adapters loaded here stay out of the session's tiny engine."""
    return load_engine("tiny")


@pytest.fixture(scope="module")
def app(
    tmp_path_factory: pytest.TempPathFactory, engine: DiffusersEngine, deployment: Deployment
) -> Iterator[Live]:
    settings = deployment.settings(tmp_path_factory.mktemp("lora-jobs"))
    yield from start_live(settings, engine)


@pytest.fixture(scope="module")
def owner(app: Live) -> dict[str, str]:
    """A key with two LoRAs, `ink` (with a text encoder part) and `moss`."""
    headers = app.key(plan="professional")
    for name, data in (("ink", tiny_lora(1, text=True)), ("moss", tiny_lora(2))):
        files = {"file": (f"{name}.safetensors", data)}
        answer = app.client.post("/v1/loras", files=files, data={"name": name}, headers=headers)
        assert answer.status_code == 201, answer.text
    return headers


def pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=np.int16)


def job_image(app: Live, headers: dict[str, str], **body: object) -> np.ndarray:
    """Make one image through POST /v1/jobs, and its pixels."""
    return pixels(job_file(app, headers, **body))


def job_file(app: Live, headers: dict[str, str], **body: object) -> bytes:
    """Make one image through POST /v1/jobs, and its file."""
    request = {"prompt": PROMPT, "seed": SEED, **SMALL} | body
    job = app.client.post("/v1/jobs", json=request, headers=headers)
    assert job.status_code == 202, job.text
    done = polled(
        lambda: app.client.get(f"/v1/jobs/{job.json()['id']}", headers=headers).json(),
        lambda body: body["status"] in ("succeeded", "failed"),
    )
    assert done["status"] == "succeeded", done
    (image,) = done["images"]
    return app.client.get(f"/v1/images/{image['id']}/content", headers=headers).content


def test_a_lora_changes_the_image_and_at_weight_0_gives_the_image_without_it(
    app: Live, owner: dict[str, str]
) -> None:
    without = job_image(app, owner)
    inked = job_image(app, owner, loras=[{"name": "ink", "weight": 1}])
    off = job_image(app, owner, loras=[{"name": "ink", "weight": 0}])
    assert np.abs(inked - without).mean() > 5  # of 255: plainly another image
    assert np.array_equal(off, without)
    assert np.array_equal(job_image(app, owner), without)  # and nothing stays on after it


def test_two_loras_combine(app: Live, owner: dict[str, str]) -> None:
    ink = job_image(app, owner, loras=[{"name": "ink", "weight": 1}])
    moss = job_image(app, owner, loras=[{"name": "moss", "weight": 1}])
    both = job_image(app, owner, loras=[{"name": "ink", "weight": 1}, {"name": "moss", "weight": 1}])
    assert np.abs(both - ink).mean() > 5 and np.abs(both - moss).mean() > 5


def test_a_job_and_its_files_say_which_loras_ran_at_which_weight(app: Live, owner: dict[str, str]) -> None:
    ink = app.client.get("/v1/loras", headers=owner).json()["data"]
    ink_id = next(lora["id"] for lora in ink if lora["name"] == "ink")
    job = app.client.post(
        "/v1/jobs", json={"prompt": "x", **SMALL, "loras": [{"id": ink_id, "weight": 0.5}]}, headers=owner
    ).json()
    ran = [{"id": ink_id, "name": "ink", "weight": 0.5}]
    assert job["params"]["loras"] == ran
    made = Image.open(io.BytesIO(job_file(app, owner, loras=[{"name": "ink", "weight": 0.5}])))
    assert json.loads(made.text["sfumato"])["loras"] == ran  # type: ignore[attr-defined]
    # AUTOMATIC1111's infotext names an adapter in its prompt (extensions-builtin/Lora/extra_networks_lora.py)
    assert " <lora:ink:0.5>\n" in made.text["parameters"]  # type: ignore[attr-defined]
    plain = app.client.post("/v1/jobs", json={"prompt": "x", **SMALL}, headers=owner).json()
    assert "loras" not in plain["params"]


def test_the_same_request_through_every_dialect_gives_the_same_image(
    app: Live, owner: dict[str, str]
) -> None:
    use = [{"name": "ink", "weight": 0.8}]
    native = job_image(app, owner, loras=use)
    imagine = app.client.post(
        "/v1/images/imagine",
        json={"prompt": PROMPT, "seed": SEED, "name": "x", **SMALL, "loras": use},
        headers=owner,
    )
    assert imagine.status_code == 201, imagine.text
    imagined = pixels(app.client.get(f"/v1/images/{imagine.json()['id']}/content", headers=owner).content)
    job_style = app.client.post(
        "/api/v1/image", json={"prompt": PROMPT, "seed": SEED, **SMALL, "loras": use}, headers=owner
    ).json()
    done = polled(
        lambda: app.client.get(f"/api/v1/image/{job_style['job_id']}", headers=owner).json(),
        lambda body: body["status"] != "processing",
    )
    from_job_style = pixels(app.client.get(done["image_url"].removeprefix("http://testserver")).content)
    openai = app.client.post(  # the official client sends `loras` as an extra body field (extra_body)
        "/v1/images/generations",
        json={"prompt": PROMPT, "seed": SEED, "size": "256x256", "response_format": "b64_json", "loras": use},
        headers=owner,
    )
    assert openai.status_code == 200, openai.text
    from_openai = pixels(base64.b64decode(openai.json()["data"][0]["b64_json"]))
    a1111 = app.client.post(
        "/sdapi/v1/txt2img",
        json={"prompt": f"{PROMPT}<lora:ink:0.8>", "seed": SEED, "steps": 4, "cfg_scale": 1.0, **SMALL},
        headers=owner,
    )
    assert a1111.status_code == 200, a1111.text
    from_a1111 = pixels(base64.b64decode(a1111.json()["images"][0]))
    for other in (imagined, from_job_style, from_openai, from_a1111):
        assert np.array_equal(other, native)
    info = json.loads(a1111.json()["info"])
    assert info["prompt"] == f"{PROMPT}<lora:ink:0.8>"  # as sent, as AUTOMATIC1111's info shows it
    sha = app.client.get("/sdapi/v1/loras", headers=owner).json()[0]["metadata"]["sshs_model_hash"]
    assert f'Lora hashes: "ink: {sha[:12]}"' in info["infotexts"][0]


def test_the_synchronous_style_takes_loras_as_the_native_request_does(
    app: Live, owner: dict[str, str]
) -> None:
    """Its sizes start at 512 and its `style` defaults to a preset, so the native request says the same."""
    use = [{"name": "moss", "weight": 1.2}]
    answer = app.client.post(
        "/api/generate-image",
        json={"prompt": PROMPT, "seed": SEED, "width": 512, "height": 512, "loras": use},
        headers=owner,
    )
    assert answer.status_code == 200, answer.text
    synchronous = pixels(app.client.get(answer.json()["url"].removeprefix("http://testserver")).content)
    # Its default guidance 7.5 on a model without guidance (tiny's default is 0): 6.5 * 2 / 19.
    native = job_image(
        app, owner, width=512, height=512, style="photorealistic", guidance_scale=0.6842, loras=use
    )
    assert np.array_equal(synchronous, native)
    assert np.abs(native - job_image(app, owner, width=512, height=512, style="photorealistic")).mean() > 5


def test_automatic1111s_prompt_takes_its_lora_syntax_out_of_the_prompt(
    app: Live, owner: dict[str, str]
) -> None:
    """`<lora:NAME>` alone is weight 1; every `<kind:…>` is cut, as `parse_prompt` cuts it."""
    plain = job_image(app, owner, prompt=f"{PROMPT}, ", loras=[{"name": "moss", "weight": 1}])
    cut = app.client.post(
        "/sdapi/v1/txt2img",
        json={
            "prompt": f"{PROMPT}, <lora:moss><hypernet:gone:1>",
            "seed": SEED,
            "steps": 4,
            "cfg_scale": 1.0,
            **SMALL,
        },
        headers=owner,
    )
    assert cut.status_code == 200, cut.text
    assert np.array_equal(pixels(base64.b64decode(cut.json()["images"][0])), plain)


def test_sdapi_loras_lists_the_keys_adapters_as_automatic1111_does(app: Live, owner: dict[str, str]) -> None:
    listed = app.client.get("/sdapi/v1/loras", headers=owner).json()
    assert [entry["name"] for entry in listed] == ["ink", "moss"]
    assert all(set(entry) == {"name", "alias", "path", "metadata"} for entry in listed)
    assert listed[0]["alias"] == "ink" and listed[0]["metadata"]["ss_base_model_version"] == "sdxl"
    assert app.client.get("/sdapi/v1/loras", headers=app.key("stranger")).json() == []
    assert app.client.post("/sdapi/v1/refresh-loras", headers=owner).status_code == 200


def test_the_workers_adapter_cache_is_in_metrics(app: Live, owner: dict[str, str]) -> None:
    def counted() -> dict[str, float]:
        text = app.client.get("/metrics").text
        return {
            line.split(" ")[0]: float(line.split(" ")[1])
            for line in text.splitlines()
            if line.startswith(("sfumato_lora_loads_total", "sfumato_lora_hits_total"))
        }

    before = counted()
    job_image(app, owner, loras=[{"name": "moss", "weight": 0.3}])
    job_image(app, owner, loras=[{"name": "moss", "weight": 0.6}])
    after = counted()
    assert after["sfumato_lora_hits_total"] - before["sfumato_lora_hits_total"] >= 1
    assert "sfumato_lora_evictions_total" in app.client.get("/metrics").text
    assert "sfumato_recompiles_total" in app.client.get("/metrics").text
