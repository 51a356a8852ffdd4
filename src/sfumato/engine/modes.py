"""What every family's modes share (domain.inputs): how many steps a job's call runs, an input redrawn with
strength 0, and the inpainted image's kept region restored. Each family builds its image-to-image and
inpainting pipelines from its text one with `from_pipe`, which shares every module: no second copy of the
weights (engine/families/)."""

from PIL import Image as PILImage
from PIL import ImageFilter
from PIL.Image import Image

from sfumato.domain.families import FLOOR
from sfumato.domain.inputs import INPAINT, TEXT, steps_run
from sfumato.engine.base import RenderJob

OVERLAY_BLUR = 4  # pixels: the seam where an inpainted region meets the kept one is softened this much


def steps_of(job: RenderJob, rule: str = FLOOR) -> int:
    """The denoising steps a job's call runs: all of them for text, the tail of the schedule for inputs."""
    return job.steps if job.mode == TEXT else steps_run(job.steps, job.strength, rule)


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
