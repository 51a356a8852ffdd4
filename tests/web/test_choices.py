"""The studio's Model choice (web/choices.py): each model of the fleet with its state, and the limits the
page applies to the other fields, from its catalogue entry and its family."""

from dataclasses import replace

from sfumato.domain.fleet import FleetModel
from sfumato.domain.models import MODELS
from sfumato.web.choices import choice_of


def test_a_models_state_says_whether_a_worker_holds_it_serves_it_or_none_does() -> None:
    spec = MODELS["tiny"]
    held = choice_of(spec, FleetModel("tiny", workers=2, loaded=True))
    served = choice_of(spec, FleetModel("tiny", workers=1, loaded=False))
    unserved = choice_of(spec, FleetModel("tiny", workers=0, loaded=False))
    assert [held.short, served.short, unserved.short] == ["loaded", "not loaded", "no worker"]
    assert unserved.state == "no worker serves it now: its jobs wait for one to start"


def test_flux_reads_no_negative_prompt_and_a_distilled_model_no_guidance() -> None:
    flux = choice_of(MODELS["flux.1-schnell"], FleetModel("flux.1-schnell", 1, True))
    assert (flux.negative, flux.negative_reason) == ("never", "FLUX.1 models take no negative prompt.")
    assert not flux.guidance_used
    turbo = choice_of(MODELS["sd3.5-large-turbo"], FleetModel("sd3.5-large-turbo", 1, True))
    assert turbo.negative == "never" and not turbo.guidance_used
    assert (
        turbo.negative_reason
        == "sd3.5-large-turbo runs without guidance, so it never reads a negative prompt."
    )
    sdxl = choice_of(MODELS["tiny"], FleetModel("tiny", 1, True))
    assert (sdxl.negative, sdxl.negative_reason, sdxl.guidance_used) == ("cfg", "", True)


def test_the_limits_are_the_catalogue_entrys() -> None:
    spec = replace(MODELS["tiny"], min_side=512, max_side=1536, native_size=768, inpainting=False)
    choice = choice_of(spec, FleetModel("tiny", 1, False))
    assert (choice.min_side, choice.max_side, choice.inpaints, choice.image_in) == (512, 1536, False, True)
    assert choice.presets[0] == ("1:1", 768, 768)
    assert ("16:9", 1024, 576) in choice.presets
