"""What the worker asks of an engine, and what an engine promises."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from PIL.Image import Image

from sfumato.domain.generation import JobParams
from sfumato.domain.models import ModelSpec
from sfumato.domain.styles import apply_style

StepCallback = Callable[[int, int], None]  # (steps done, steps in all)
StopCheck = Callable[[], bool]
KeepCheck = Callable[[int], bool]  # (a job's place in the batch) -> is it still wanted?


class GenerationCanceled(Exception):
    """Raised out of a generation when no job in it is wanted any more, at the next step."""


@dataclass(frozen=True)
class RenderJob:
    """One job as the model sees it: a prompt and its settings, and one seed for each image to make."""

    prompt: str
    negative_prompt: str | None
    width: int
    height: int
    steps: int
    guidance_scale: float
    seeds: Sequence[int]

    @classmethod
    def for_params(cls, params: JobParams) -> "RenderJob":
        """What the model is asked for a job: its style applied, one seed per image."""
        prompt, negative = apply_style(params.style, params.prompt, params.negative_prompt)
        return cls(
            prompt, negative, params.width, params.height, params.steps, params.guidance_scale, params.seeds()
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
