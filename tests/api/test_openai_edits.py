"""OpenAI's edits and variations, proven with the official `openai` client against a real `sfumato serve`
(only `base_url` and `api_key` set), and with the multipart bodies browsers and `curl -F` send.

How the client sends them was read from openai-python's `src/openai/resources/images.py`: one file as a
part named `image`, a list (even of one) as `image[]` parts, `mask` as its own part, every other value as a
string (`n="2"`), raw bytes as `filename="upload"` with `application/octet-stream`; newer clients may send
`images: [{"image_url": …}]` as JSON instead."""

import base64
import io
from collections.abc import Iterator
from dataclasses import replace

import httpx
import openai
import pytest
from PIL import Image

from sfumato.domain.generation import GenerationRequest
from sfumato.domain.inputs import IMAGE
from sfumato.domain.models import MODELS
from sfumato.web.snippets import snippets
from tests.e2e.harness import Server, create_key, environment
from tests.pictures import SVG, data_url, encoded, noise, png, square_mask

pytestmark = pytest.mark.filterwarnings(
    "ignore:deprecated:DeprecationWarning"
)  # create_variation, in the client


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    folder = tmp_path_factory.mktemp("openai-edits")
    env = environment(folder / "data")
    key = create_key(env, None, "--rpm", "1000", "--plan", "professional")
    running = Server(env, folder / "serve.log")
    try:
        running.wait_ready()
        yield running, key
    finally:
        running.stop()


@pytest.fixture
def client(server: tuple[Server, str]) -> openai.OpenAI:
    running, key = server
    return openai.OpenAI(base_url=f"{running.url}/v1", api_key=key, max_retries=0)


def picture(b64: str | None) -> Image.Image:
    assert b64 is not None
    return Image.open(io.BytesIO(base64.b64decode(b64)))


def jobs(server: tuple[Server, str]) -> list[dict]:
    running, key = server
    return httpx.get(f"{running.url}/v1/jobs", headers={"x-api-key": key}).json()["data"]


def test_an_edit_of_one_file_answers_the_edited_image(client: openai.OpenAI) -> None:
    result = client.images.edit(
        model="gpt-image-1", image=png(320, 256), prompt="make it night", response_format="b64_json"
    )
    (item,) = result.data or []
    edited = picture(item.b64_json)
    assert (edited.format, edited.size) == ("PNG", (320, 256))  # the input's size when none is asked
    assert item.revised_prompt == "make it night"


def test_an_edit_of_a_list_with_a_mask_edits_the_first_and_says_so(
    client: openai.OpenAI, server: tuple[Server, str]
) -> None:
    files = [
        ("first.png", png(256, 256, seed=1), "image/png"),
        ("second.png", png(256, 256, seed=2), "image/png"),
    ]
    mask = ("mask.png", square_mask(256, 256, (0, 0, 128, 128)), "image/png")
    result = client.images.edit(image=files, mask=mask, prompt="a red door", n=2, size="256x256")
    assert len(result.data or []) == 2
    (job,) = [job for job in jobs(server) if job["params"]["prompt"] == "a red door"]
    assert job["params"]["mode"] == "inpaint" and job["params"]["n"] == 2
    assert job["params"]["strength"] == 1.0  # an edit's masked region is drawn anew
    assert any("1 more image was sent; only the first was edited" in warning for warning in job["warnings"])


def test_a_transparent_image_without_a_mask_is_its_own_mask(
    client: openai.OpenAI, server: tuple[Server, str]
) -> None:
    clear = noise(256, 256).convert("RGBA")
    clear.paste((0, 0, 0, 0), (64, 64, 192, 192))
    client.images.edit(image=("hole.png", encoded(clear), "image/png"), prompt="fill the hole")
    (job,) = [job for job in jobs(server) if job["params"]["prompt"] == "fill the hole"]
    assert job["params"]["mode"] == "inpaint"


def test_a_variation_answers_a_url_that_needs_no_key(
    client: openai.OpenAI, server: tuple[Server, str]
) -> None:
    result = client.images.create_variation(image=png(256, 256), n=1, size="256x256", response_format="url")
    (item,) = result.data or []
    assert item.url is not None
    answer = httpx.get(item.url)
    assert answer.status_code == 200 and Image.open(io.BytesIO(answer.content)).size == (256, 256)
    (job,) = [job for job in jobs(server) if job["params"]["prompt"] == ""]
    assert job["params"]["mode"] == "image" and job["params"]["strength"] == 0.6


def test_a_multipart_body_as_a_browser_or_curl_sends_it(server: tuple[Server, str]) -> None:
    running, key = server
    answer = httpx.post(
        f"{running.url}/v1/images/edits",
        headers={"Authorization": f"Bearer {key}"},
        files=[("image[]", ("photo.jpg", encoded(noise(256, 256), "JPEG"), "image/jpeg"))],
        data={"prompt": "as a painting", "n": "1", "size": "auto", "response_format": "b64_json"},
        timeout=120,
    )
    assert answer.status_code == 200, answer.text
    assert picture(answer.json()["data"][0]["b64_json"]).size == (256, 256)


def test_a_json_edit_takes_its_pictures_as_data_urls(server: tuple[Server, str]) -> None:
    running, key = server
    body = {
        "images": [{"image_url": data_url(png(256, 256))}],
        "prompt": "json",
        "response_format": "b64_json",
    }
    answer = httpx.post(f"{running.url}/v1/images/edits", headers={"x-api-key": key}, json=body, timeout=120)
    assert answer.status_code == 200, answer.text
    elsewhere = {"images": [{"image_url": "https://169.254.169.254/x.png"}], "prompt": "p"}
    refused = httpx.post(f"{running.url}/v1/images/edits", headers={"x-api-key": key}, json=elsewhere)
    assert refused.status_code == 400 and refused.json()["error"]["param"] == "images"


def test_bad_input_raises_the_clients_bad_request_error_naming_the_field(
    client: openai.OpenAI, server: tuple[Server, str]
) -> None:
    before = len(jobs(server))
    with pytest.raises(openai.BadRequestError) as raised:
        client.images.edit(image=("drawing.svg", SVG, "image/svg+xml"), prompt="p")
    assert raised.value.body["param"] == "image"  # type: ignore[index]
    with pytest.raises(openai.BadRequestError) as raised:
        client.images.edit(image=png(256, 256), mask=square_mask(64, 64, (0, 0, 9, 9)), prompt="p")
    assert raised.value.body["param"] == "mask"  # type: ignore[index]
    with pytest.raises(openai.BadRequestError) as raised:
        client.images.create_variation(image=png(256, 256)[:100])
    assert raised.value.body["param"] == "image"  # type: ignore[index]
    running, key = server
    missing = httpx.post(f"{running.url}/v1/images/edits", headers={"x-api-key": key}, data={"prompt": "p"})
    assert missing.status_code == 400 and missing.json()["error"]["param"] == "image"
    assert len(jobs(server)) == before


def test_the_job_pages_openai_code_for_a_job_made_from_an_image_makes_it_again(
    server: tuple[Server, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The job page's "Python (openai)" code (web/snippets.py), run as written with the official client: an
    # image job's call is `images.edit` with the picture as a file and this server's fields as form values.
    running, key = server
    made = GenerationRequest(prompt="a kite at dusk", width=256, height=256, negative_prompt="blur", seed=11)
    params = replace(
        made.resolve(MODELS["tiny"], seed=11), mode=IMAGE, strength=0.35, source_image_id="image_x"
    )
    code = dict(snippets(params, running.url))["Python (openai)"]
    assert "client.images.edit(" in code
    files = {"input.png": png(256, 256, seed=5)}
    monkeypatch.setenv("SFUMATO_KEY", key)
    exec(code, {"open": lambda name, mode: io.BytesIO(files[name])})  # the page's own code, as a user runs it
    job = jobs(server)[0]["params"]
    assert (job["mode"], job["strength"], job["seed"], job["negative_prompt"]) == ("image", 0.35, 11, "blur")
    assert (job["prompt"], job["model"], job["width"]) == ("a kite at dusk", "tiny", 256)
