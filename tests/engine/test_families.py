"""Every family through the one engine (engine/pipeline.py, engine/families/), on its tiny model: each mode
makes images, a batched image equals the request made alone, a job leaves a batch at the next step,
previews and token limits work, and each family's guidance and negative prompt rules hold."""

from typing import Any

import numpy as np
import pytest
from PIL import Image

from sfumato.engine.base import GenerationCanceled, Rendered, RenderJob
from sfumato.engine.pipeline import DiffusersEngine
from tests.pictures import noise

SIZE = 256
SOURCE = noise(SIZE, SIZE, seed=3)
MASK = Image.new("L", (SIZE, SIZE), 0)
MASK.paste(255, (64, 64, 192, 192))
MODES = ["text", "image", "inpaint"]


def job(
    prompt: str,
    seeds: list[int],
    mode: str = "text",
    *,
    negative: str | None = None,
    guidance: float = 0.0,
    strength: float = 0.6,
    previews: bool = False,
    steps: int = 2,
) -> RenderJob:
    picture = SOURCE if mode != "text" else None
    mask = MASK if mode == "inpaint" else None
    return RenderJob(
        prompt, negative, SIZE, SIZE, steps, guidance, seeds, mode, picture, mask, strength, previews
    )


def pixels(image: Any) -> np.ndarray:
    return np.asarray(image, dtype=np.int16)


def rendered(outcome: object) -> Rendered:
    assert isinstance(outcome, Rendered), outcome
    return outcome


def assert_close(batched: Any, alone: Any) -> None:
    # Batched CPU kernels round differently (FLUX's joint attention most): a few levels of 255 at most.
    difference = np.abs(pixels(batched) - pixels(alone))
    assert difference.max() <= 3 and difference.mean() < 0.25


@pytest.mark.parametrize("mode", MODES)
def test_each_family_makes_images_in_each_mode_the_same_for_the_same_seed(
    family_engine: DiffusersEngine, mode: str
) -> None:
    first, again, other = (
        rendered(family_engine.render([job("a cat", [seed], mode)])[0]) for seed in (5, 5, 6)
    )
    (image,) = first.images
    assert image.size == (SIZE, SIZE) and pixels(image).std() > 0
    assert np.array_equal(pixels(image), pixels(again.images[0]))
    assert not np.array_equal(pixels(image), pixels(other.images[0]))


@pytest.mark.parametrize("mode", MODES)
def test_a_batched_image_equals_the_same_request_run_alone(family_engine: DiffusersEngine, mode: str) -> None:
    jobs = [job("a cat", [1, 2], mode), job("a dog", [7], mode), job("a boat", [3], mode)]
    batch = [rendered(outcome) for outcome in family_engine.render(jobs)]
    assert [len(outcome.images) for outcome in batch] == [2, 1, 1]
    for one, outcome in zip(jobs, batch, strict=True):
        alone = rendered(family_engine.render([one])[0])
        for batched_image, alone_image in zip(outcome.images, alone.images, strict=True):
            assert_close(batched_image, alone_image)


@pytest.mark.parametrize("mode", MODES)
def test_a_job_dropped_mid_batch_leaves_and_the_rest_are_as_if_alone(
    family_engine: DiffusersEngine, mode: str
) -> None:
    # Three steps: the job leaves after the second, and the third runs on what is left of the batch.
    jobs = [job("a cat", [1], mode, strength=1.0, steps=3), job("a dog", [2, 3], mode, strength=1.0, steps=3)]
    steps: list[int] = []
    outcomes = family_engine.render(
        jobs, on_step=lambda done, _total: steps.append(done), keep=lambda index: index != 1 or not steps
    )
    assert outcomes[1] is None and steps == [1, 2, 3]
    assert_close(rendered(outcomes[0]).images[0], rendered(family_engine.render(jobs[:1])[0]).images[0])


@pytest.mark.parametrize("mode", MODES)
def test_when_no_job_is_wanted_the_call_stops_at_the_next_step(
    family_engine: DiffusersEngine, mode: str
) -> None:
    steps: list[int] = []
    with pytest.raises(GenerationCanceled):
        family_engine.render(
            [job("a", [1], mode, strength=1.0), job("b", [2], mode, strength=1.0)],
            on_step=lambda done, _: steps.append(done),
            keep=lambda _: not steps,
        )
    assert steps == [1]


def test_previews_are_the_latents_at_an_eighth_of_the_side_for_each_asking_job(
    family_engine: DiffusersEngine,
) -> None:
    seen: list[tuple[int, tuple[int, int]]] = []
    family_engine.render(
        [job("a cat", [1], previews=True), job("a dog", [2])],
        on_preview=lambda index, picture: seen.append((index, picture.size)),
    )
    assert seen == [(0, (SIZE // 8, SIZE // 8))] * 2  # one a step, of the job that asked alone


def test_a_preview_of_a_wide_image_keeps_its_shape(family_engine: DiffusersEngine) -> None:
    # FLUX packs its latents into tokens: its preview unpacks them at the image's own proportions.
    pictures: list[Image.Image] = []
    wide = RenderJob("a", None, 384, 256, 1, 0.0, [1], previews=True)
    family_engine.render([wide], on_preview=lambda _index, picture: pictures.append(picture))
    assert pictures[0].size == (48, 32) and pixels(pictures[0]).std() > 0


@pytest.mark.parametrize(
    ("engine", "warning"),
    [
        ("tiny_engine", "prompt is 150 tokens long; the text encoders read only the first 75"),
        ("tiny_flux_engine", "prompt is 380 tokens long; the T5 text encoder reads only the first 255"),
        ("tiny_sd3_engine", "prompt is 380 tokens long; the T5 text encoder reads only the first 255"),
    ],
)
def test_a_prompt_beyond_the_furthest_reading_encoder_is_cut_with_a_warning(
    request: pytest.FixtureRequest, engine: str, warning: str
) -> None:
    model: DiffusersEngine = request.getfixturevalue(engine)
    # The offline tokenizers: a CLIP token a letter; a T5 token a letter and one a word.
    long = "a very long prompt " * (10 if engine == "tiny_engine" else 20)
    (outcome,) = model.render([job(long, [1])])
    (note,) = rendered(outcome).warnings
    assert note.startswith(warning)
    assert rendered(model.render([job("short", [1])])[0]).warnings == []


def test_flux_never_sees_a_negative_prompt(tiny_flux_engine: DiffusersEngine) -> None:
    plain = rendered(tiny_flux_engine.render([job("a cat", [4])])[0]).images[0]
    negative = rendered(
        tiny_flux_engine.render([job("a cat", [4], negative="dogs", guidance=5.0)])[0]
    ).images[0]
    assert np.array_equal(pixels(plain), pixels(negative))


def test_sd3_under_guidance_reads_each_jobs_own_negative_prompt(tiny_sd3_engine: DiffusersEngine) -> None:
    jobs = [job("a cat", [1], negative="blurry", guidance=4.0), job("a cat", [1], guidance=4.0)]
    with_negative, without = (rendered(outcome).images[0] for outcome in tiny_sd3_engine.render(jobs))
    assert_close(with_negative, rendered(tiny_sd3_engine.render(jobs[:1])[0]).images[0])
    assert_close(without, rendered(tiny_sd3_engine.render(jobs[1:])[0]).images[0])
    assert not np.array_equal(pixels(with_negative), pixels(without))


def test_sd3_under_guidance_cuts_a_dropped_jobs_rows_from_both_halves(
    tiny_sd3_engine: DiffusersEngine,
) -> None:
    jobs = [
        job("a cat", [1], guidance=3.0, steps=3),
        job("a dog", [2, 3], guidance=3.0, steps=3),
        job("a fox", [4], guidance=3.0, steps=3),
    ]
    steps: list[int] = []
    outcomes = tiny_sd3_engine.render(
        jobs, on_step=lambda done, _total: steps.append(done), keep=lambda index: index != 1 or not steps
    )
    assert outcomes[1] is None
    for index in (0, 2):
        assert_close(
            rendered(outcomes[index]).images[0], rendered(tiny_sd3_engine.render([jobs[index]])[0]).images[0]
        )


def test_flow_matching_families_run_the_rounded_up_tail_of_the_schedule(
    tiny_flux_engine: DiffusersEngine,
) -> None:
    steps: list[tuple[int, int]] = []
    four = RenderJob("a", None, SIZE, SIZE, 4, 0.0, [1], "image", SOURCE, None, 0.6)
    tiny_flux_engine.render([four], on_step=lambda done, total: steps.append((done, total)))
    assert steps == [(1, 3), (2, 3), (3, 3)]  # 4 x 0.6 = 2.4 steps: FLUX's image-to-image runs 3


def test_strength_zero_is_the_input_unchanged_in_every_family(family_engine: DiffusersEngine) -> None:
    (outcome,) = family_engine.render([job("a cat", [1, 2], "image", strength=0.0)])
    assert [np.array_equal(pixels(image), pixels(SOURCE)) for image in rendered(outcome).images] == [
        True,
        True,
    ]
