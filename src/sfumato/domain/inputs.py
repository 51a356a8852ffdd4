"""Images in (docs/api.md §11): what a request's input picture means for the job made from it.

A job's mode is `text` (a prompt alone), `image` (image-to-image: the input redrawn, `strength` of it) or
`inpaint` (only where the mask is white, or transparent, is repainted). A distilled model's few steps run from
the tail of the schedule: with `steps` and `strength`, SDXL runs floor(steps x strength) of them, FLUX and SD3
round up (diffusers' rules, domain.families); strength 0 runs none and returns the input as it is.
"""

from dataclasses import dataclass

from sfumato.domain.families import FLOOR

TEXT, IMAGE, INPAINT = "text", "image", "inpaint"
DEFAULT_STRENGTH = 0.6
INPUT_NAME, MASK_NAME = "input", "mask"  # a job's stored inputs: {job_id}/input.png, {job_id}/mask.png
INGREDIENT_NAME = "ingredient"  # {job_id}/ingredient.c2pa: the input as sent, as a C2PA ingredient


@dataclass(frozen=True)
class InputSummary:
    """What generation needs to know of a request's input picture, once it is read and checked."""

    width: int  # the picture as sent, upright
    height: int
    has_mask: bool
    source_image_id: str | None = None  # one of the key's images, when the input named one
    source_name: str | None = None
    ignored: int = 0  # further pictures sent and not used (OpenAI's image[] beyond the first)
    strength: float = DEFAULT_STRENGTH  # when the request gives none

    @property
    def mode(self) -> str:
        return INPAINT if self.has_mask else IMAGE


def steps_run(steps: int, strength: float, rule: str = FLOOR) -> int:
    """How many denoising steps an image-to-image job runs: SDXL's floor(steps x strength) (FLOOR), or the
    flow-matching pipelines' steps - int(steps - steps x strength) (FLOW), as diffusers counts them."""
    if rule == FLOOR:
        return min(int(steps * strength), steps)
    return steps - int(max(steps - min(steps * strength, steps), 0))
