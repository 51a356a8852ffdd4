"""Image-to-image and inpainting on the real tiny pipeline: batched as text is, deterministic, and
inpainting keeps what the mask keeps."""

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from PIL import Image

from sfumato.engine.base import GenerationCanceled, RenderJob
from sfumato.engine.pipeline import DiffusersEngine
from tests.engine.test_batch import assert_same_image, pixels, rendered
from tests.pictures import noise

SOURCE = noise(256, 256, seed=3)
MASK = Image.new("L", (256, 256), 0)
MASK.paste(255, (64, 64, 192, 192))


def job(
    prompt: str, seeds: list[int], mode: str = "image", strength: float = 0.6, guidance: float = 0.0
) -> RenderJob:
    mask = MASK if mode == "inpaint" else None
    return RenderJob(prompt, None, 256, 256, 4, guidance, seeds, mode, SOURCE, mask, strength)


@pytest.mark.parametrize("mode", ["image", "inpaint"])
def test_a_batched_image_job_equals_the_job_run_alone(tiny_engine: DiffusersEngine, mode: str) -> None:
    jobs = [job("a cat", [1, 2], mode), job("a dog", [7], mode)]
    batch = [rendered(outcome) for outcome in tiny_engine.render(jobs)]
    for one, outcome in zip(jobs, batch, strict=True):
        alone = rendered(tiny_engine.render([one])[0])
        for batched_image, alone_image in zip(outcome.images, alone.images, strict=True):
            assert_same_image(batched_image, alone_image)


@pytest.mark.parametrize("mode", ["image", "inpaint"])
def test_the_same_seed_and_input_give_the_same_pixels(tiny_engine: DiffusersEngine, mode: str) -> None:
    first = rendered(tiny_engine.render([job("a cat", [5], mode)])[0]).images[0]
    again = rendered(tiny_engine.render([job("a cat", [5], mode)])[0]).images[0]
    other = rendered(tiny_engine.render([job("a cat", [6], mode)])[0]).images[0]
    assert np.array_equal(pixels(first), pixels(again))
    assert not np.array_equal(pixels(first), pixels(other))


def test_inpainting_keeps_the_input_outside_the_mask_and_changes_it_inside(
    tiny_engine: DiffusersEngine,
) -> None:
    made = pixels(rendered(tiny_engine.render([job("a cat", [1], "inpaint", strength=1.0)])[0]).images[0])
    source = pixels(SOURCE)
    outside = np.ones((256, 256), bool)
    outside[48:208, 48:208] = False  # the mask's edge is softened over a few pixels
    assert np.abs(made - source)[outside].max() <= 2
    assert np.abs(made - source)[80:176, 80:176].mean() > 20


def test_more_strength_redraws_more(tiny_engine: DiffusersEngine) -> None:
    def distance(strength: float) -> float:
        made = rendered(tiny_engine.render([job("a cat", [1], strength=strength)])[0]).images[0]
        return float(np.abs(pixels(made) - pixels(SOURCE)).mean())

    assert 0 < distance(0.3) < distance(1.0)


@pytest.fixture
def unet_calls(tiny_engine: DiffusersEngine) -> Iterator[list[int]]:
    calls: list[int] = []
    unet = tiny_engine.pipe.unet
    original = unet.forward

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return original(*args, **kwargs)

    unet.forward = counted
    yield calls
    unet.forward = original


@pytest.mark.parametrize("mode", ["image", "inpaint"])
def test_strength_zero_returns_the_input_without_a_step(
    tiny_engine: DiffusersEngine, unet_calls: list[int], mode: str
) -> None:
    (outcome,) = tiny_engine.render([job("a cat", [1, 2], mode, strength=0.0)])
    assert unet_calls == []
    assert [np.array_equal(pixels(image), pixels(SOURCE)) for image in rendered(outcome).images] == [
        True,
        True,
    ]


def test_progress_counts_the_steps_that_run(tiny_engine: DiffusersEngine, unet_calls: list[int]) -> None:
    steps: list[tuple[int, int]] = []
    tiny_engine.render(
        [job("a cat", [1], strength=0.6)], on_step=lambda done, total: steps.append((done, total))
    )
    assert steps == [(1, 2), (2, 2)] and len(unet_calls) == 2  # floor(4 x 0.6) of the 4 steps


def test_a_dropped_inpainting_job_keeps_nothing_and_the_others_go_on(tiny_engine: DiffusersEngine) -> None:
    dropped: set[int] = set()

    def step(done: int, _total: int) -> None:
        if done == 1:
            dropped.add(0)

    outcomes = tiny_engine.render(
        [job("a cat", [1], "inpaint", 1.0), job("a dog", [2], "inpaint", 1.0)],
        on_step=step,
        keep=lambda index: index not in dropped,
    )
    assert outcomes[0] is None and len(rendered(outcomes[1]).images) == 1
    with pytest.raises(GenerationCanceled):
        tiny_engine.render([job("a cat", [1], "inpaint", 1.0)], keep=lambda _index: False)


def test_jobs_of_another_mode_or_strength_do_not_share_a_call(tiny_engine: DiffusersEngine) -> None:
    with pytest.raises(ValueError, match="mode"):
        tiny_engine.render([job("a", [1]), job("b", [2], strength=0.5)])
    with pytest.raises(ValueError, match="mode"):
        tiny_engine.render([job("a", [1]), RenderJob("b", None, 256, 256, 4, 0.0, [2])])
