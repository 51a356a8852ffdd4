"""What a model honours of a request, asked of its family's description (domain.families) and its catalogue
entry: a parameter it cannot honour is translated and the job says so in its `warnings`, never silently
dropped; one that cannot be translated (a mask for a model that does not inpaint) is refused, naming the
field."""

from typing import TYPE_CHECKING

from sfumato.domain.errors import InvalidParameter
from sfumato.domain.families import CFG, FAMILIES, NO_GUIDANCE
from sfumato.domain.inputs import InputSummary, steps_run
from sfumato.domain.models import ModelSpec

if TYPE_CHECKING:
    from sfumato.domain.params import JobParams


def model_guidance(given: float | None, spec: ModelSpec) -> tuple[float, tuple[str, ...]]:
    """The guidance scale a job runs at, and the note of a scale the model does not use."""
    if given is None:
        return spec.default_guidance_scale, ()
    if spec.guidance == NO_GUIDANCE and given != spec.default_guidance_scale:
        note = (
            f"guidance_scale {given:g} is not used: {spec.name} was distilled to run without guidance, "
            f"so it ran at {spec.default_guidance_scale:g}"
        )
        return spec.default_guidance_scale, (note,)
    return given, ()


def check_sides(spec: ModelSpec, width: int, height: int) -> None:
    for field, side in (("width", width), ("height", height)):
        if not spec.min_side <= side <= spec.max_side:
            raise InvalidParameter(
                f"{field} must be between {spec.min_side} and {spec.max_side} for {spec.name}", param=field
            )


def check_inputs(spec: ModelSpec, source: InputSummary) -> None:
    """An input picture the model cannot take is refused by the field that sent it."""
    if not spec.traits.image_to_image:
        raise InvalidParameter(f"{spec.name} does not take an input image", param="image")
    if source.has_mask and not spec.inpaints:
        raise InvalidParameter(f"{spec.name} does not inpaint: send no mask", param="mask")


def job_notes(params: "JobParams") -> list[str]:
    """What a job will not do as the caller may expect, from its parameters alone."""
    family = FAMILIES[params.family]
    notes = []
    if params.negative_prompt and not family.honours_negative(params.guidance, params.guidance_scale):
        notes.append(_negative_note(params))
    if params.ignored_images:
        notes.append(
            f"{params.ignored_images} more image{'s were' if params.ignored_images > 1 else ' was'} sent; "
            "only the first was edited"
        )
    if params.strength is not None and steps_run(params.steps, params.strength, family.strength_steps) == 0:
        notes.append(
            f"strength {params.strength:g} runs no step of {params.steps}: the images are the input unchanged"
        )
    return notes


def _negative_note(params: "JobParams") -> str:
    family = FAMILIES[params.family]
    if not family.negative_prompt:
        return f"negative_prompt has no effect: {family.title} models take no negative prompt"
    if params.guidance != CFG:
        return f"negative_prompt has no effect: {params.model} runs without guidance, so it never sees it"
    return (
        f"negative_prompt has no effect at guidance_scale {params.guidance_scale:g}: without guidance "
        "the model never sees it; set guidance_scale above 1 (1.5 to 2 suits the distilled "
        "sdxl-lightning models) to apply it, at twice the denoising cost"
    )
