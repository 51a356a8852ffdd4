"""The tiny model: a real SDXL pipeline, deterministic, fast enough for the whole suite."""

import numpy as np
import pytest

from sfumato.engine.base import GenerationCanceled, RenderJob
from sfumato.engine.pipeline import DiffusersEngine
from sfumato.imaging.formats import encode_image


def job(seeds: list[int], size: int = 256, steps: int = 4, prompt: str = "a red apple") -> RenderJob:
    return RenderJob(prompt, None, size, size, steps, 0.0, seeds)


def pixels(image) -> np.ndarray:  # type: ignore[no-untyped-def]
    return np.asarray(image, dtype=np.int16)


def test_it_is_a_real_sdxl_pipeline(tiny_engine: DiffusersEngine) -> None:
    pipe = tiny_engine.pipe
    assert type(pipe).__name__ == "StableDiffusionXLPipeline"
    assert pipe.unet.config.addition_embed_type == "text_time"  # SDXL's size and crop conditioning
    assert pipe.vae_scale_factor == 8
    assert type(pipe.scheduler).__name__ == "EulerDiscreteScheduler"
    assert pipe.scheduler.config.timestep_spacing == "trailing"


def test_same_seed_and_parameters_give_identical_bytes(tiny_engine: DiffusersEngine) -> None:
    first, second = (
        encode_image(
            tiny_engine.generate(job([42]))[0], "png", quality=90, parameters={"seed": 42}, compress_level=4
        )
        for _ in range(2)
    )
    assert first == second


def test_another_seed_gives_another_image(tiny_engine: DiffusersEngine) -> None:
    a, b = tiny_engine.generate(job([1]))[0], tiny_engine.generate(job([2]))[0]
    assert np.abs(pixels(a) - pixels(b)).mean() > 1


def test_another_prompt_gives_another_image(tiny_engine: DiffusersEngine) -> None:
    a, b = tiny_engine.generate(job([1], prompt="cat"))[0], tiny_engine.generate(job([1], prompt="dog"))[0]
    assert not np.array_equal(pixels(a), pixels(b))


def test_each_image_of_a_batch_depends_on_its_own_seed_alone(tiny_engine: DiffusersEngine) -> None:
    batch = tiny_engine.generate(job([10, 11, 12]))
    alone = tiny_engine.generate(job([11]))[0]
    # Batched CPU kernels may round differently: at most one level of 255, on few pixels.
    difference = np.abs(pixels(batch[1]) - pixels(alone))
    assert difference.max() <= 1 and (difference > 0).mean() < 0.01
    assert np.abs(pixels(batch[0]) - pixels(batch[1])).mean() > 1


def test_sizes_need_not_be_square(tiny_engine: DiffusersEngine) -> None:
    (image,) = tiny_engine.generate(RenderJob("x", None, 384, 256, 2, 0.0, [0]))
    assert image.size == (384, 256)


def test_progress_is_reported_after_each_step(tiny_engine: DiffusersEngine) -> None:
    steps: list[tuple[int, int]] = []
    tiny_engine.generate(job([0], steps=3), on_step=lambda done, total: steps.append((done, total)))
    assert steps == [(1, 3), (2, 3), (3, 3)]


def test_a_stop_request_ends_generation_at_the_next_step(tiny_engine: DiffusersEngine) -> None:
    steps: list[int] = []
    with pytest.raises(GenerationCanceled):
        tiny_engine.generate(
            job([0], steps=10),
            on_step=lambda done, _: steps.append(done),
            should_stop=lambda: len(steps) >= 2,
        )
    assert steps == [1, 2]


def test_negative_prompt_and_guidance_run_classifier_free_guidance(tiny_engine: DiffusersEngine) -> None:
    plain = tiny_engine.generate(job([5]))[0]
    guided = tiny_engine.generate(RenderJob("a red apple", "blurry", 256, 256, 4, 5.0, [5]))[0]
    assert not np.array_equal(pixels(plain), pixels(guided))


def test_a_512_image_is_made_at_its_size(tiny_engine: DiffusersEngine) -> None:
    # How fast is bench.engine's question (docs/benchmarks.md): a test's machine may be twice as slow.
    (image,) = tiny_engine.generate(job([1], size=512))
    assert image.size == (512, 512) and pixels(image).std() > 0
