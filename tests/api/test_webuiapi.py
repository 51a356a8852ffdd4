"""`webuiapi`, the PyPI client of AUTOMATIC1111's API, unchanged against a real server on both deployments.

What it sends and reads is its own code (mix1009/sdwebuiapi, webuiapi/webuiapi.py): `WebUIApi(host, port,
username, password)` puts the key in HTTP Basic on a `requests.Session`; `txt2img` and `img2img` post
its whole default body (sampler "Euler a", steps 20, scheduler "automatic", `init_images` and `mask` as
data: URLs) and decode `images` with `base64.b64decode` (no split) and `info` with `json.loads`;
`set_options`, `interrupt` and `skip` call `.json()` on the answer; `util_wait_for_ready` polls
`/progress` until progress is 0.0 and `state.job_count` is 0."""

import threading
from collections.abc import Callable

import pytest
import webuiapi
from PIL import Image, ImageDraw

from tests.e2e.harness import Server, wait_until


@pytest.fixture(scope="module")
def server(served: Callable[..., tuple[Server, str]]) -> tuple[Server, str]:
    return served("webuiapi")


@pytest.fixture
def api(server: tuple[Server, str]) -> webuiapi.WebUIApi:
    running, key = server
    return webuiapi.WebUIApi(host="127.0.0.1", port=running.port, username="sfumato", password=key)


def test_txt2img_with_its_defaults_gives_a_picture_and_what_ran(api: webuiapi.WebUIApi) -> None:
    result = api.txt2img(prompt="a red boat", negative_prompt="blurry", seed=42, width=256, height=256)
    assert isinstance(result.image, Image.Image) and result.image.size == (256, 256)
    assert result.info["seed"] == 42 and result.info["all_seeds"] == [42]
    assert result.info["steps"] == 20 and result.info["sampler_name"] == "Euler"  # the model's own sampler
    assert "Requested sampler: Euler a" in result.info["infotexts"][0]
    assert result.parameters["prompt"] == "a red boat"


def test_img2img_and_inpainting_take_its_data_urls(api: webuiapi.WebUIApi) -> None:
    source = Image.new("RGB", (256, 256), "navy")
    redrawn = api.img2img(images=[source], prompt="at dawn", denoising_strength=0.5, width=256, height=256)
    assert redrawn.image.size == (256, 256) and redrawn.info["denoising_strength"] == 0.5
    mask = Image.new("L", (256, 256), 0)
    ImageDraw.Draw(mask).rectangle((0, 0, 127, 127), fill=255)
    inpainted = api.img2img(
        images=[source], mask_image=mask, prompt="a moon", width=256, height=256, seed=5, inpainting_fill=1
    )
    kept = inpainted.image.convert("RGB").getpixel((200, 200))
    assert kept == source.getpixel((200, 200))  # outside the mask, the picture is as it was


def test_img2img_without_a_size_makes_512x512_as_the_readme_says(api: webuiapi.WebUIApi) -> None:
    # webuiapi.py's img2img sends `"width": 512, "height": 512` unless told otherwise (AUTOMATIC1111's own
    # default): the size sent wins over the picture's, as on every route (docs/api.md §11).
    redrawn = api.img2img(images=[Image.new("RGB", (320, 256), "navy")], prompt="at dusk", steps=1)
    assert redrawn.image.size == (512, 512)


def test_options_and_models_as_its_helpers_use_them(api: webuiapi.WebUIApi) -> None:
    (title,) = api.util_get_model_names()
    assert title.startswith("tiny [") and api.util_get_current_model() == title
    assert api.set_options({"sd_model_checkpoint": "tiny", "jpeg_quality": 90}) is None
    options = api.get_options()
    assert options["sd_model_checkpoint"] == title and options["jpeg_quality"] == 90
    api.util_set_model("tiny", find_closest=True)
    assert api.util_get_current_model() == title
    assert [sampler["name"] for sampler in api.get_samplers()] == ["Euler"]
    assert [model["model_name"] for model in api.get_sd_models()] == ["tiny"]
    assert "Lanczos" in [upscaler["name"] for upscaler in api.get_upscalers()]


def test_interrupt_stops_its_running_txt2img(api: webuiapi.WebUIApi) -> None:
    api.util_wait_for_ready(check_interval=0.2)
    failures: list[BaseException] = []

    def long_one() -> None:
        try:
            api.txt2img(prompt="slow", width=1024, height=1024, steps=50, batch_size=2)
        except RuntimeError as error:  # webuiapi raises RuntimeError(status, text) on anything but 200
            failures.append(error)

    worker = threading.Thread(target=long_one)
    worker.start()
    wait_until(lambda: api.get_progress()["progress"] > 0, 120, "the job to be under way")
    assert api.interrupt() == {}
    worker.join(120)
    assert not worker.is_alive()
    ((status, text),) = [failure.args for failure in failures]
    assert status == 409 and '"job_canceled"' in text
    api.util_wait_for_ready(check_interval=0.2)  # idle again: progress 0.0, job_count 0
    assert api.skip() is None
