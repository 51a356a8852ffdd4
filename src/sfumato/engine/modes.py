"""What a batch's mode calls (domain.inputs): text-to-image on the loaded SDXL pipeline, image-to-image and
inpainting on diffusers' SDXL Img2Img and Inpaint pipelines built from it with `from_pipe`, which shares every
module: no second copy of the weights."""

from collections.abc import Sequence
from typing import Any

from diffusers import (
    StableDiffusionXLImg2ImgPipeline,
    StableDiffusionXLInpaintPipeline,
    StableDiffusionXLPipeline,
)
from PIL import Image as PILImage
from PIL import ImageFilter
from PIL.Image import Image

from sfumato.domain.inputs import IMAGE, INPAINT, TEXT, steps_run
from sfumato.engine.base import RenderJob

OVERLAY_BLUR = 4  # pixels: the seam where an inpainted region meets the kept one is softened this much


class Modes:
    def __init__(self, pipe: StableDiffusionXLPipeline) -> None:
        self.text = pipe
        self._built: dict[str, Any] = {TEXT: pipe}

    def pipeline(self, mode: str) -> Any:
        if mode not in self._built:
            kind = StableDiffusionXLImg2ImgPipeline if mode == IMAGE else StableDiffusionXLInpaintPipeline
            built = kind.from_pipe(self.text)
            built.set_progress_bar_config(disable=True)
            self._built[mode] = built
        return self._built[mode]


def steps_of(job: RenderJob) -> int:
    """The denoising steps a job's call runs: all of them for text, the tail of the schedule for inputs."""
    return job.steps if job.mode == TEXT else steps_run(job.steps, job.strength)


def arguments(first: RenderJob, rows: Sequence[RenderJob]) -> dict[str, Any]:
    """The call's arguments that depend on the mode; `rows` holds the job of each image, in row order."""
    if first.mode == TEXT:
        return {"width": first.width, "height": first.height}
    given: dict[str, Any] = {"image": [job.image for job in rows], "strength": first.strength}
    if first.mode == INPAINT:
        given |= {"mask_image": [job.mask for job in rows], "width": first.width, "height": first.height}
    return given


def unchanged(job: RenderJob) -> list[Image]:
    """Strength 0: the input as it came, once per seed, and no step run."""
    assert job.image is not None
    return [job.image.copy() for _ in job.seeds]


def overlay(made: Image, job: RenderJob) -> Image:
    """An inpainted image with the kept region's pixels exactly the input's: the model repaints the masked
    region, and the latents' round trip through the VAE does not blur the rest."""
    if job.mode != INPAINT or job.image is None or job.mask is None:
        return made
    soft = job.mask.filter(ImageFilter.GaussianBlur(OVERLAY_BLUR))
    return PILImage.composite(made.convert("RGB"), job.image.convert("RGB"), soft)
