"""Which queued jobs run together as one pipeline call (docs/architecture.md, "Batches").

Jobs share a call when one call can make all their images: the same model, size and step count, and
the same guidance as the model's family understands it (domain.families: under classifier-free guidance
a call applies one scale to every image, and at 1 or below there is no unconditional branch, so every
such scale is the same call; an embedded scale is an input of the model, each its own call; a model
without guidance ignores it). Prompts, negative prompts, seeds, formats and image counts may differ.
Pure functions over pending work: no database, no torch.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from sfumato.domain.families import CFG, EMBEDDED
from sfumato.domain.inputs import TEXT
from sfumato.domain.params import JobParams


def guidance_mode(guidance_scale: float, guidance: str = CFG) -> str:
    """The part of the guidance a batch must agree on: under classifier-free guidance off at 1 or below,
    else the scale itself; an embedded scale always; no guidance, nothing."""
    if guidance == EMBEDDED:
        return f"g{guidance_scale:g}"
    return "off" if guidance != CFG or guidance_scale <= 1.0 else f"cfg{guidance_scale:g}"


def shape(
    width: int,
    height: int,
    steps: int,
    guidance_scale: float,
    mode: str = TEXT,
    strength: float | None = None,
    guidance: str = CFG,
) -> str:
    """What one pipeline call's images must share; a model's engine checks its batches by it. Jobs with
    input pictures share a call with jobs of the same mode and strength (the pipeline takes one)."""
    common = f"{width}x{height}|{steps}|{guidance_mode(guidance_scale, guidance)}"
    return common if mode == TEXT else f"{common}|{mode}{strength:g}"


def batch_key(params: JobParams) -> str:
    """Jobs with equal keys can share a pipeline call: the same model, and the same shape."""
    fits = shape(
        params.width,
        params.height,
        params.steps,
        params.guidance_scale,
        params.mode,
        params.strength,
        params.guidance,
    )
    return f"{params.model}|{fits}"


@dataclass(frozen=True)
class Pending:
    """A queued job, as the batcher sees it: oldest first."""

    job_id: str
    batch_key: str
    images: int


def choose_batch(candidates: Sequence[Pending], budget: int, *, topping_up: bool = False) -> list[str]:
    """The oldest job, then the next compatible ones whose images fit in the budget, in age order.

    The oldest job always runs, even alone beyond the budget, so no job waits forever; a younger job
    too large for what is left is passed over for this call, not dropped from the queue. When
    `topping_up` a batch already in hand, `budget` is what is left of it and nothing goes beyond.
    """
    if not candidates:
        return []
    first = candidates[0]
    chosen: list[str] = []
    used = 0
    for job in candidates:
        if used >= budget:
            break
        fits = used + job.images <= budget or (not chosen and not topping_up)
        if job.batch_key == first.batch_key and fits:
            chosen.append(job.job_id)
            used += job.images
    return chosen
