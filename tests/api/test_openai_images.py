"""OpenAI's images API, proven with the official `openai` client against a real `sfumato serve`,
with nothing set but `base_url` and `api_key`."""

import base64
import io
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest
from PIL import Image

from tests.e2e.harness import Server, create_key, environment
from tests.pictures import pixels


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str, str]]:
    folder = tmp_path_factory.mktemp("openai")
    env = environment(folder / "data")
    key = create_key(env, None, "--rpm", "1000", "--plan", "professional")
    limited = create_key(env, None, "--rpm", "1")
    running = Server(env, folder / "serve.log")
    try:
        running.wait_ready()
        yield running, key, limited
    finally:
        running.stop()


@pytest.fixture
def client(server: tuple[Server, str, str]) -> openai.OpenAI:
    running, key, _ = server
    return openai.OpenAI(base_url=f"{running.url}/v1", api_key=key, max_retries=0)


def decode(b64: str | None) -> Image.Image:
    assert b64 is not None
    return Image.open(io.BytesIO(base64.b64decode(b64)))


def test_b64_json_answers_the_image_itself(client: openai.OpenAI) -> None:
    result = client.images.generate(
        model="dall-e-3", prompt="a lighthouse at dusk", size="512x512", response_format="b64_json"
    )
    (item,) = result.data or []
    image = decode(item.b64_json)
    assert (image.format, image.size) == ("PNG", (512, 512))
    assert item.revised_prompt == "a lighthouse at dusk" and result.created > 0


def test_urls_for_several_images_work_without_a_key(client: openai.OpenAI) -> None:
    result = client.images.generate(prompt="a fox", n=2, size="256x384", response_format="url")
    urls = [item.url for item in result.data or []]
    assert len(urls) == 2 and len(set(urls)) == 2
    for url in urls:
        assert url is not None
        answer = httpx.get(url)  # no key
        assert answer.status_code == 200
        assert Image.open(io.BytesIO(answer.content)).size == (256, 384)


def test_output_format_and_compression(client: openai.OpenAI) -> None:
    result = client.images.generate(
        model="gpt-image-1",
        prompt="a boat",
        size="256x256",
        output_format="webp",
        output_compression=50,
        response_format="b64_json",
    )
    (item,) = result.data or []
    assert decode(item.b64_json).format == "WEBP"
    assert (result.output_format, result.size) == ("webp", "256x256")


def test_this_servers_own_parameters_pass_through(client: openai.OpenAI) -> None:
    same = [
        client.images.generate(
            prompt="a tree",
            size="256x256",
            response_format="b64_json",
            extra_body={"seed": 1234, "style": "sketch", "negative_prompt": "fog"},
        )
        for _ in range(2)
    ]
    assert same[0].data and same[1].data
    # same seed, same pixels (the files differ: each has its own signed manifest)
    assert pixels(base64.b64decode(same[0].data[0].b64_json or "")) == pixels(
        base64.b64decode(same[1].data[0].b64_json or "")
    )


def test_a_bad_request_raises_bad_request_error_with_the_field(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as raised:
        client.images.generate(prompt="x", size="100x100")
    assert raised.value.status_code == 400
    error = raised.value.body
    assert isinstance(error, dict) and error["param"] == "size" and error["code"] == "parameter_invalid"
    with pytest.raises(openai.BadRequestError):
        client.images.generate(prompt="x", size="big")
    with pytest.raises(openai.BadRequestError) as empty:
        client.images.generate(prompt="   ", size="256x256")
    assert isinstance(empty.value.body, dict) and empty.value.body["param"] == "prompt"


def test_a_bad_key_raises_authentication_error(server: tuple[Server, str, str]) -> None:
    running, _, _ = server
    bad = openai.OpenAI(base_url=f"{running.url}/v1", api_key="sfm_not_a_key", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        bad.images.generate(prompt="x", size="256x256")


def test_models_lists_the_served_model(client: openai.OpenAI) -> None:
    assert "tiny" in [model.id for model in client.models.list()]


def test_a_saved_result_is_a_usable_file(client: openai.OpenAI, tmp_path: Path) -> None:
    result = client.images.generate(prompt="a cat", size="256x256", response_format="b64_json")
    (item,) = result.data or []
    assert item.b64_json is not None
    path = tmp_path / "cat.png"
    path.write_bytes(base64.b64decode(item.b64_json))
    with Image.open(path) as image:
        assert "parameters" in image.info  # the generation parameters travel in the file


def test_openais_documented_example_as_written(client: openai.OpenAI) -> None:
    # From OpenAI's image generation guide (DALL-E 3), unchanged.
    response = client.images.generate(
        model="dall-e-3",
        prompt="a white siamese cat",
        size="1024x1024",
        quality="standard",
        n=1,
    )
    assert response.data is not None
    image_url = response.data[0].url
    assert image_url is not None and httpx.get(image_url).status_code == 200


def test_a_spent_rate_limit_raises_rate_limit_error(server: tuple[Server, str, str]) -> None:
    running, _, limited = server  # a key of one request a minute
    client = openai.OpenAI(base_url=f"{running.url}/v1", api_key=limited, max_retries=0)
    client.images.generate(prompt="x", size="256x256")
    with pytest.raises(openai.RateLimitError) as raised:
        client.images.generate(prompt="x", size="256x256")
    assert raised.value.status_code == 429
    assert int(raised.value.response.headers["Retry-After"]) >= 1
    assert isinstance(raised.value.body, dict) and raised.value.body["code"] == "rate_limit_exceeded"
