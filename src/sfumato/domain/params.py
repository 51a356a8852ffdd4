"""A generation request with every default filled in (domain.generation resolves it): what a job stores,
what its images are made from, and what a client sees of it."""

from dataclasses import dataclass, fields
from functools import cache
from typing import Any, Self

from sfumato.domain.fairness import NORMAL
from sfumato.domain.families import CFG, FAMILIES
from sfumato.domain.honoured import job_notes
from sfumato.domain.inputs import TEXT, steps_run
from sfumato.domain.loras import Adapter
from sfumato.domain.rules import DEFAULT_NAME


@dataclass(frozen=True)
class JobParams:
    """A request with every default filled in: what a job stores and what its images are made from."""

    prompt: str
    negative_prompt: str | None
    seed: int
    width: int
    height: int
    steps: int
    guidance_scale: float
    style: str | None
    n: int
    model: str
    format: str
    quality: int
    name: str
    webhook_url: str | None = None  # absent from jobs queued before webhooks existed
    # Images in (domain.inputs); absent from jobs queued before they existed.
    mode: str = TEXT
    strength: float | None = None
    source_image_id: str | None = None
    input_key: str | None = None  # where the job's input picture is stored, as sent (upright PNG)
    mask_key: str | None = None
    ingredient_key: str | None = None  # the input as its images' C2PA parent ingredient (an archive)
    ignored_images: int = 0
    previews: bool = False  # record a small picture at each step, for the events stream
    # The model's family and guidance kind (domain.families), and what was translated for it; absent
    # from jobs queued before several families existed, all of which were SDXL's.
    family: str = "sdxl"
    guidance: str = CFG
    adjusted: tuple[str, ...] = ()
    priority: str = NORMAL  # among the key's own queued jobs (domain.fairness); absent from older jobs
    # LoRA adapters, in order, at their weights (domain.loras); absent from jobs queued before them.
    loras: tuple[Adapter, ...] = ()
    name_given: bool | None = None  # a person chose the name (None: a job from before this was kept)

    def steps_to_run(self) -> int:
        """The denoising steps the job runs: all its steps, or the tail that an input's strength leaves."""
        if self.strength is None:
            return self.steps
        return steps_run(self.steps, self.strength, FAMILIES[self.family].strength_steps)

    def person_named(self) -> bool:
        """Whether a person gave the name (not the prompt's first words, nor an input image's name)."""
        return self.name_given if self.name_given is not None else self.name != DEFAULT_NAME

    def seeds(self) -> list[int]:
        """Image i of a job uses seed + i."""
        return [self.seed + i for i in range(self.n)]

    def notes(self) -> list[str]:
        """What the job will not do as the caller may expect, known before it runs."""
        return [*self.adjusted, *job_notes(self)]

    def to_dict(self) -> dict[str, Any]:
        # Each field's value, lists copied (their items are plain values): dataclasses.asdict's deep copy
        # cost a poll a tenth of its time.
        values = ((name, getattr(self, name)) for name in _field_names(JobParams))
        stored = {name: list(value) if isinstance(value, list) else value for name, value in values}
        stored["loras"] = [adapter.to_dict() for adapter in self.loras]
        return stored

    def public(self) -> dict[str, Any]:
        """What a client sees of the parameters: where the inputs are stored is the service's business."""
        shown = self.to_dict()
        for internal in (
            "input_key",
            "mask_key",
            "ingredient_key",
            "ignored_images",
            "previews",
            "family",
            "guidance",
            "adjusted",
            "name_given",
        ):
            shown.pop(internal)
        if self.mode == TEXT:
            for absent in ("mode", "strength", "source_image_id"):
                shown.pop(absent)
        if self.loras:  # which ran, at which weight; where their files lie is the service's business
            shown["loras"] = [adapter.public() for adapter in self.loras]
        else:
            shown.pop("loras")
        return shown

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        loras = tuple(Adapter.from_dict(adapter) for adapter in data.get("loras", ()))
        return cls(**{**data, "adjusted": tuple(data.get("adjusted", ())), "loras": loras})


@cache
def _field_names(cls: Any) -> tuple[str, ...]:
    return tuple(field.name for field in fields(cls))
