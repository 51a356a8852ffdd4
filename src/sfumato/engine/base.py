"""What the worker asks of an engine, and what an engine promises."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from PIL.Image import Image

from sfumato.domain.inputs import TEXT
from sfumato.domain.models import ModelSpec
from sfumato.domain.params import JobParams
from sfumato.domain.styles import apply_style

StepCallback = Callable[[int, int], None]  # (steps done, steps in all)
PreviewCallback = Callable[[int, Image], None]  # (a job's place in the batch, a small picture of it now)
StopCheck = Callable[[], bool]
KeepCheck = Callable[[int], bool]  # (a job's place in the batch) -> is it still wanted?


class GenerationCanceled(Exception):
    """Raised out of a generation when no job in it is wanted any more, at the next step."""


@dataclass(frozen=True)
class RenderJob:
    """One job as the model sees it: a prompt and its settings, one seed for each image to make, and the
    input picture and mask of an image-to-image or inpainting job (at the job's size)."""

    prompt: str
    negative_prompt: str | None
    width: int
    height: int
    steps: int
    guidance_scale: float
    seeds: Sequence[int]
    mode: str = TEXT
    image: Image | None = None
    mask: Image | None = None
    strength: float = 1.0
    previews: bool = False  # call on_preview with a small picture of its first image at each step

    @classmethod
    def for_params(
        cls, params: JobParams, image: Image | None = None, mask: Image | None = None
    ) -> "RenderJob":
        """What the model is asked for a job: its style applied, one seed per image, its inputs."""
        prompt, negative = apply_style(params.style, params.prompt, params.negative_prompt)
        return cls(
            prompt,
            negative,
            params.width,
            params.height,
            params.steps,
            params.guidance_scale,
            params.seeds(),
            params.mode,
            image,
            mask,
            params.strength if params.strength is not None else 1.0,
            params.previews,
        )


@dataclass
class Rendered:
    """A job's images, in seed order, and what the engine could not do exactly as asked."""

    images: list[Image]
    warnings: list[str] = field(default_factory=list)


# Per job of a batch: its result, the exception that failed it alone, or None when it was dropped.
Outcome = Rendered | Exception | None


class Engine(Protocol):
    spec: ModelSpec

    def render(
        self,
        jobs: Sequence[RenderJob],
        *,
        on_step: StepCallback | None = None,
        keep: KeepCheck | None = None,
        on_preview: PreviewCallback | None = None,
    ) -> list[Outcome]:
        """Make the images of jobs that share a size, a step count and a guidance, in one call.

        Image i of a job depends on its prompt and its seed alone, not on the rest of the batch.
        A job whose `keep` turns false leaves the batch at the next step (None in its place);
        a job whose prompt cannot be prepared fails alone (its exception in its place). Raises
        GenerationCanceled when no job is left, and whatever failed the call as a whole.
        """
        ...

    def warmup(self) -> None:
        """Run once so the first request does not pay for lazy initialisation."""
        ...
