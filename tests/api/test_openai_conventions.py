"""OpenAI's conventions as its clients read them, with the official `openai` client against a real server:
base64 by default for GPT image models (LibreChat reads only `data[0].b64_json`), a URL for DALL·E, `quality`
as steps, no transparency, Azure's path and `api-key`, and `stream: true` with partial images.

LibreChat's image tool (api/app/clients/tools/structured/OpenAIImageTools.js) calls
`images.generate({model: 'gpt-image-1', prompt, n, background: 'auto', output_format, quality: 'auto',
size: 'auto'})` and reads `resp.data[0].b64_json`; its DALL-E 3 tool reads `resp.data[0].url`."""

import base64
import io
from collections.abc import Callable

import httpx
import openai
import pytest
from PIL import Image

from tests.e2e.harness import Server, wait_until
from tests.pictures import png


@pytest.fixture(scope="module")
def server(served: Callable[..., tuple[Server, str]]) -> tuple[Server, str]:
    return served("openai-conventions")


@pytest.fixture
def client(server: tuple[Server, str]) -> openai.OpenAI:
    running, key = server
    return openai.OpenAI(base_url=f"{running.url}/v1", api_key=key, max_retries=0)


def jobs(server: tuple[Server, str]) -> list[dict]:
    running, key = server
    listed = httpx.get(f"{running.url}/v1/jobs", params={"limit": 100}, headers={"x-api-key": key})
    return list(listed.json()["data"])


def decoded(b64: str | None) -> Image.Image:
    assert b64 is not None
    return Image.open(io.BytesIO(base64.b64decode(b64)))


def test_a_gpt_image_model_answers_base64_as_librechat_reads_it(client: openai.OpenAI) -> None:
    result = client.images.generate(
        model="gpt-image-1",
        prompt="a lighthouse",
        n=1,
        background="auto",
        output_format="png",
        quality="auto",
        size="auto",
    )
    (item,) = result.data or []
    assert item.url is None and decoded(item.b64_json).format == "PNG"
    described = (result.background, result.output_format, result.quality, result.size)
    assert described == ("opaque", "png", "medium", "1024x1024")  # auto: the model's native size


def test_dall_e_answers_a_url_ending_in_its_format_that_needs_no_key(client: openai.OpenAI) -> None:
    result = client.images.generate(model="dall-e-3", prompt="harbour", size="256x256", output_format="jpeg")
    (item,) = result.data or []
    assert item.b64_json is None and item.url is not None and item.url.endswith(".jpeg")
    answer = httpx.get(item.url)
    assert answer.status_code == 200 and answer.headers["content-type"] == "image/jpeg"
    explicit = client.images.generate(model="gpt-image-1", prompt="x", size="256x256", response_format="url")
    assert (explicit.data or [])[0].url is not None  # given explicitly, it wins


def test_quality_is_the_steps_the_model_runs(client: openai.OpenAI, server: tuple[Server, str]) -> None:
    for quality in ("low", "high"):
        client.images.generate(
            model="gpt-image-1",
            prompt=f"quality {quality}",
            size="256x256",
            quality=quality,  # type: ignore[arg-type]
        )
    steps = {job["params"]["prompt"]: job["params"]["steps"] for job in jobs(server)}
    assert (steps["quality low"], steps["quality high"]) == (2, 8)  # tiny: default 4, halved and doubled


def test_a_transparent_background_is_refused_naming_it(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as raised:
        client.images.generate(model="gpt-image-1", prompt="a logo", background="transparent", size="256x256")
    assert raised.value.body["param"] == "background"  # type: ignore[index]


def test_azure_clients_path_api_version_and_api_key_work(server: tuple[Server, str]) -> None:
    running, key = server
    azure = openai.AzureOpenAI(
        api_key=key, api_version="2024-10-21", azure_endpoint=running.url, max_retries=0
    )
    result = azure.images.generate(model="gpt-image-1", prompt="from azure", size="256x256")
    assert (result.data or [])[0].b64_json is not None


def test_streaming_sends_partial_images_then_the_image(client: openai.OpenAI) -> None:
    stream = client.images.generate(
        model="gpt-image-1",
        prompt="a slow storm",
        size="1024x1024",
        quality="high",
        stream=True,
        partial_images=2,
    )
    events = list(stream)
    kinds = [event.type for event in events]
    assert kinds[-1] == "image_generation.completed" and kinds.count("image_generation.completed") == 1
    partial = [event for event in events if event.type == "image_generation.partial_image"]
    assert len(partial) <= 2 and [event.partial_image_index for event in partial] == list(range(len(partial)))
    for event in partial:
        assert decoded(event.b64_json).size == (128, 128)  # the latents' own size, 1/8 of the image's
    assert decoded(events[-1].b64_json).size == (1024, 1024)


def test_a_stream_left_mid_way_costs_no_more_than_its_job(server: tuple[Server, str]) -> None:
    running, key = server
    body = {"model": "gpt-image-1", "prompt": "left behind", "size": "1024x1024", "stream": True}
    url, headers = f"{running.url}/v1/images/generations", {"x-api-key": key}
    with httpx.stream("POST", url, json=body | {"partial_images": 3}, headers=headers, timeout=60) as answer:
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/event-stream")
    (job,) = [job for job in jobs(server) if job["params"]["prompt"] == "left behind"]

    def now() -> dict:
        return next(found for found in jobs(server) if found["id"] == job["id"])

    wait_until(lambda: now()["status"] == "succeeded", 120, "the job to go on and end")
    assert len(now()["images"]) == 1  # made once, nothing more


def test_an_edit_streams_its_own_events(client: openai.OpenAI) -> None:
    events = list(client.images.edit(image=png(256, 256), prompt="sketch", stream=True, partial_images=1))
    assert events[-1].type == "image_edit.completed"
