"""One pipeline call for several jobs: each image as if its job ran alone, each job on its own."""

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from sfumato.engine.base import GenerationCanceled, Rendered, RenderJob
from sfumato.engine.pipeline import DiffusersEngine


def job(prompt: str, seeds: list[int], negative: str | None = None, guidance: float = 0.0) -> RenderJob:
    return RenderJob(prompt, negative, 256, 256, 4, guidance, seeds)


def pixels(image: Any) -> np.ndarray:
    return np.asarray(image, dtype=np.int16)


def assert_same_image(batched: Any, alone: Any) -> None:
    # Batched CPU kernels may round differently: at most one level of 255, on few pixels.
    difference = np.abs(pixels(batched) - pixels(alone))
    assert difference.max() <= 1 and (difference > 0).mean() < 0.01


def rendered(outcome: object) -> Rendered:
    assert isinstance(outcome, Rendered), outcome
    return outcome


def test_a_batched_image_equals_the_same_request_run_alone(tiny_engine: DiffusersEngine) -> None:
    jobs = [job("a cat", [1, 2]), job("a dog", [7], negative="blurry"), job("a boat", [3])]
    batch = [rendered(outcome) for outcome in tiny_engine.render(jobs)]
    assert [len(outcome.images) for outcome in batch] == [2, 1, 1]
    for one, outcome in zip(jobs, batch, strict=True):
        alone = rendered(tiny_engine.render([one])[0])
        for batched_image, alone_image in zip(outcome.images, alone.images, strict=True):
            assert_same_image(batched_image, alone_image)
    assert np.abs(pixels(batch[0].images[0]) - pixels(batch[2].images[0])).mean() > 1


def test_with_guidance_each_job_keeps_its_own_negative_prompt(tiny_engine: DiffusersEngine) -> None:
    jobs = [job("a cat", [1], negative="blurry", guidance=5.0), job("a cat", [1], guidance=5.0)]
    with_negative, without = (rendered(outcome).images[0] for outcome in tiny_engine.render(jobs))
    assert_same_image(with_negative, rendered(tiny_engine.render(jobs[:1])[0]).images[0])
    assert_same_image(without, rendered(tiny_engine.render(jobs[1:])[0]).images[0])
    assert not np.array_equal(pixels(with_negative), pixels(without))


def test_a_job_dropped_mid_batch_leaves_at_the_next_step_and_the_rest_are_unchanged(
    tiny_engine: DiffusersEngine,
) -> None:
    jobs = [
        job("a cat", [1], guidance=3.0),
        job("a dog", [2, 3], guidance=3.0),
        job("a fox", [4], guidance=3.0),
    ]
    steps: list[int] = []
    outcomes = tiny_engine.render(
        jobs, on_step=lambda done, _total: steps.append(done), keep=lambda index: index != 1 or len(steps) < 2
    )
    assert outcomes[1] is None and steps == [1, 2, 3, 4]
    for index in (0, 2):
        alone = rendered(tiny_engine.render([jobs[index]])[0]).images[0]
        assert_same_image(rendered(outcomes[index]).images[0], alone)


def test_when_no_job_is_wanted_the_call_stops(tiny_engine: DiffusersEngine) -> None:
    steps: list[int] = []
    with pytest.raises(GenerationCanceled):
        tiny_engine.render(
            [job("a", [1]), job("b", [2])],
            on_step=lambda done, _: steps.append(done),
            keep=lambda _: not steps,
        )
    assert steps == [1]


@pytest.fixture
def fragile(tiny_engine: DiffusersEngine) -> Iterator[DiffusersEngine]:
    """The tiny engine, whose text encoding breaks on one prompt."""
    original = tiny_engine.pipe.encode_prompt

    def encode_prompt(*args: Any, **kwargs: Any) -> Any:
        if kwargs["prompt"] == "poison":
            raise RuntimeError("cannot encode")
        return original(*args, **kwargs)

    tiny_engine.pipe.encode_prompt = encode_prompt  # type: ignore[method-assign]
    yield tiny_engine
    tiny_engine.pipe.encode_prompt = original  # type: ignore[method-assign]


def test_a_prompt_that_cannot_be_encoded_fails_its_job_alone(fragile: DiffusersEngine) -> None:
    outcomes = fragile.render([job("a cat", [1]), job("poison", [2]), job("a dog", [3])])
    assert isinstance(outcomes[1], RuntimeError) and str(outcomes[1]) == "cannot encode"
    assert len(rendered(outcomes[0]).images) == len(rendered(outcomes[2]).images) == 1


def test_a_prompt_beyond_the_encoders_context_is_cut_with_a_warning(tiny_engine: DiffusersEngine) -> None:
    long = "a very long prompt " * 10  # the tiny tokenizer: a token a letter
    (outcome,) = tiny_engine.render([job(long, [1])])
    (warning,) = rendered(outcome).warnings
    assert warning.startswith("prompt is 150 tokens long; the text encoders read only the first 75")
    assert rendered(tiny_engine.render([job("short", [1])])[0]).warnings == []


def test_jobs_of_different_shapes_are_refused_as_one_batch(tiny_engine: DiffusersEngine) -> None:
    with pytest.raises(ValueError, match="share size, steps and guidance"):
        tiny_engine.render([job("a", [1]), RenderJob("b", None, 512, 256, 4, 0.0, [2])])
    with pytest.raises(ValueError):
        tiny_engine.render([job("a", [1], guidance=2.0), job("b", [2], guidance=3.0)])
