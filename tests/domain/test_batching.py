"""Which jobs share a pipeline call: a pure rule, tested without a model."""

from dataclasses import replace

from sfumato.domain.batching import Pending, batch_key, choose_batch
from sfumato.domain.families import EMBEDDED
from sfumato.domain.generation import GenerationRequest
from sfumato.domain.inputs import InputSummary
from sfumato.domain.models import MODELS
from sfumato.domain.params import JobParams


def params(model: str = "tiny", **fields: object) -> JobParams:
    values = {"prompt": "a cat", "width": 512, "height": 512} | fields
    return GenerationRequest(**values).resolve(MODELS[model], seed=0)  # type: ignore[arg-type]


def test_prompts_seeds_counts_and_formats_do_not_split_a_batch() -> None:
    one = params(prompt="a cat", seed=1, n=1, format="png", negative_prompt="dogs")
    other = params(prompt="a dog", seed=9, n=4, format="webp", style="anime", name="x")
    assert batch_key(one) == batch_key(other)


def test_size_steps_and_model_split_a_batch() -> None:
    base = batch_key(params())
    assert batch_key(params(width=768)) != base
    assert batch_key(params(height=768)) != base
    assert batch_key(params(steps=8)) != base
    assert batch_key(params(model="sdxl-random")) != base


def test_guidance_at_or_below_one_is_one_mode_above_it_each_scale_its_own() -> None:
    assert batch_key(params(guidance_scale=0.0)) == batch_key(params(guidance_scale=1.0))
    assert batch_key(params(guidance_scale=1.0)) != batch_key(params(guidance_scale=1.5))
    assert batch_key(params(guidance_scale=5.0)) != batch_key(params(guidance_scale=7.5))


def pending(job_id: str, images: int = 1, key: str = "a") -> Pending:
    return Pending(job_id, key, images)


def test_the_oldest_job_leads_and_compatible_ones_follow_in_age_order() -> None:
    jobs = [pending("1"), pending("2", key="b"), pending("3"), pending("4")]
    assert choose_batch(jobs, budget=8) == ["1", "3", "4"]


def test_the_budget_counts_images_not_jobs() -> None:
    jobs = [pending("1", 3), pending("2", 3), pending("3", 3), pending("4", 2)]
    assert choose_batch(jobs, budget=8) == ["1", "2", "4"]  # 3 would make 9; 4 still fits


def test_the_oldest_job_runs_even_beyond_the_budget_alone() -> None:
    assert choose_batch([pending("1", 10), pending("2")], budget=8) == ["1"]


def test_topping_up_never_goes_beyond_what_is_left() -> None:
    jobs = [pending("1", 3), pending("2", 1), pending("3", 1)]
    assert choose_batch(jobs, budget=2, topping_up=True) == ["2", "3"]
    assert choose_batch([pending("1", 3)], budget=2, topping_up=True) == []


def test_nothing_pending_is_no_batch() -> None:
    assert choose_batch([], budget=8) == []


def test_image_jobs_batch_by_mode_and_strength_and_text_keys_are_as_they_were() -> None:
    def key(**fields: object) -> str:
        request = GenerationRequest(prompt="p", width=512, height=512, **fields)  # type: ignore[arg-type]
        image = "image" in fields
        source = InputSummary(512, 512, has_mask="mask" in fields) if image else None
        return batch_key(request.resolve(MODELS["tiny"], 1, source))

    assert key() == "tiny|512x512|4|off"  # the form stored in the queue before images came in
    assert key(image="a") == key(image="b") != key(image="a", strength=0.5)
    assert key(image="a") != key(image="a", mask="m") != key()


def test_an_embedded_guidance_scale_is_each_its_own_call_even_below_one() -> None:
    assert batch_key(params(model="tiny-sd3", guidance_scale=0.0)) == batch_key(
        params(model="tiny-sd3", guidance_scale=1.0)
    )
    dev_like = replace(MODELS["tiny-flux"], guidance=EMBEDDED)
    requests = [GenerationRequest(prompt="a", guidance_scale=scale) for scale in (0.5, 1.0, 3.5)]
    keys = {batch_key(request.resolve(dev_like, 0)) for request in requests}
    assert len(keys) == 3


def test_a_model_without_guidance_batches_whatever_scale_was_sent() -> None:
    assert batch_key(params(model="tiny-flux", guidance_scale=7.0)) == batch_key(params(model="tiny-flux"))
