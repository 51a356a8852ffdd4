"""What the worker asks of an engine, and what an engine promises."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from PIL.Image import Image

from sfumato.domain.generation import JobParams
from sfumato.domain.models import ModelSpec
from sfumato.domain.styles import apply_style

StepCallback = Callable[[int, int], None]  # (steps done, steps in all)
StopCheck = Callable[[], bool]


class GenerationCanceled(Exception):
    """Raised out of a generation whose `should_stop` said yes, at the next step."""


@dataclass(frozen=True)
class RenderJob:
    """One pipeline call: a prompt and its settings, and one seed for each image to make."""

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


class Engine(Protocol):
    spec: ModelSpec

    def generate(
        self,
        job: RenderJob,
        *,
        on_step: StepCallback | None = None,
        should_stop: StopCheck | None = None,
    ) -> list[Image]:
        """One image per seed, in order; image i depends on its own seed alone."""
        ...

    def warmup(self) -> None:
        """Run once so the first request does not pay for lazy initialisation."""
        ...
