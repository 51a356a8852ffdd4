"""What each model honours of a request (domain/honoured.py): translated and noted, or refused by field."""

from dataclasses import replace

import pytest

from sfumato.domain.errors import InvalidParameter
from sfumato.domain.families import EMBEDDED
from sfumato.domain.generation import GenerationRequest
from sfumato.domain.inputs import InputSummary
from sfumato.domain.models import MODELS
from sfumato.domain.params import JobParams


def test_a_guidance_scale_sent_to_a_model_distilled_without_guidance_is_noted_and_not_used() -> None:
    params = GenerationRequest(prompt="a cat", guidance_scale=5.0).resolve(MODELS["flux.1-schnell"], 1)
    assert params.guidance_scale == 0.0
    (note,) = params.notes()
    assert note.startswith("guidance_scale 5 is not used: flux.1-schnell was distilled to run without")


def test_the_default_scale_of_such_a_model_says_nothing() -> None:
    for scale in (None, 0.0):
        assert (
            GenerationRequest(prompt="a", guidance_scale=scale)
            .resolve(MODELS["sd3.5-large-turbo"], 1)
            .notes()
            == []
        )


def test_a_model_with_guidance_keeps_the_scale_it_was_sent() -> None:
    params = GenerationRequest(prompt="a cat", guidance_scale=5.0).resolve(MODELS["tiny-sd3"], 1)
    assert (params.guidance_scale, params.notes()) == (5.0, [])


def test_flux_takes_no_negative_prompt_and_the_job_says_so() -> None:
    params = GenerationRequest(prompt="a cat", negative_prompt="dogs").resolve(MODELS["tiny-flux"], 1)
    assert params.negative_prompt == "dogs"  # kept as sent: the job shows what it was asked
    assert params.notes() == ["negative_prompt has no effect: FLUX.1 models take no negative prompt"]


def test_a_negative_prompt_under_classifier_free_guidance_is_honoured_without_a_note() -> None:
    params = GenerationRequest(prompt="a", negative_prompt="b", guidance_scale=4.0).resolve(
        MODELS["tiny-sd3"], 1
    )
    assert params.notes() == []


def test_a_negative_prompt_for_a_model_without_guidance_says_it_is_never_seen() -> None:
    params = GenerationRequest(prompt="a", negative_prompt="b").resolve(MODELS["sd3.5-large-turbo"], 1)
    assert params.notes() == [
        "negative_prompt has no effect: sd3.5-large-turbo runs without guidance, so it never sees it"
    ]


def test_a_mask_for_a_model_that_does_not_inpaint_is_400_naming_mask() -> None:
    no_inpainting = replace(MODELS["tiny-flux"], inpainting=False)
    request = GenerationRequest(prompt="a", image="x", mask="y")
    with pytest.raises(InvalidParameter) as refused:
        request.resolve(no_inpainting, 1, InputSummary(512, 512, has_mask=True))
    assert refused.value.param == "mask" and "tiny-flux does not inpaint" in refused.value.message
    # Image-to-image, with no mask, it still takes.
    assert GenerationRequest(prompt="a", image="x").resolve(no_inpainting, 1, InputSummary(512, 512, False))


def test_the_size_defaults_to_the_model_native_one_and_stays_within_its_sides() -> None:
    assert GenerationRequest(prompt="a").resolve(MODELS["sdxl-turbo"], 1).width == 512
    assert GenerationRequest(prompt="a").resolve(MODELS["flux.1-schnell"], 1).height == 1024
    narrow = replace(MODELS["tiny"], max_side=1024)
    with pytest.raises(InvalidParameter) as refused:
        GenerationRequest(prompt="a", height=1088).resolve(narrow, 1)
    assert refused.value.param == "height"


def test_flow_matching_families_round_an_input_strength_up_to_steps() -> None:
    source = InputSummary(512, 512, False)
    flux = GenerationRequest(prompt="a", image="x", strength=0.6).resolve(MODELS["tiny-flux"], 1, source)
    sdxl = GenerationRequest(prompt="a", image="x", strength=0.6).resolve(MODELS["tiny"], 1, source)
    assert (flux.steps_to_run(), sdxl.steps_to_run()) == (3, 2)  # 4 x 0.6 = 2.4: up for FLUX, down for SDXL


def test_a_job_stored_before_families_existed_is_sdxl_with_guidance() -> None:
    stored = GenerationRequest(prompt="a", negative_prompt="b").resolve(MODELS["tiny"], 1).to_dict()
    for added in ("family", "guidance", "adjusted"):
        stored.pop(added)
    params = JobParams.from_dict(stored)
    assert (params.family, params.guidance, params.adjusted) == ("sdxl", "cfg", ())
    assert params.notes()[0].startswith("negative_prompt has no effect at guidance_scale 0")


def test_a_translation_survives_storage() -> None:
    params = GenerationRequest(prompt="a", guidance_scale=3.0).resolve(MODELS["tiny-flux"], 1)
    again = JobParams.from_dict(params.to_dict())
    assert again == params and again.notes() == params.notes()
    assert "family" not in params.public() and "adjusted" not in params.public()


def test_an_embedded_guidance_model_passes_its_scale_through() -> None:
    dev_like = replace(MODELS["tiny-flux"], guidance=EMBEDDED, default_guidance_scale=3.5)
    params = GenerationRequest(prompt="a", guidance_scale=0.5).resolve(dev_like, 1)
    assert (params.guidance_scale, params.guidance, params.notes()) == (0.5, EMBEDDED, [])
