"""What the studio offers to choose from: the models (each with its limits, applied to the other fields in the
browser) and the LoRA adapters. Each list comes from one function here, so that it can be pointed at a
richer source without touching the pages: the models at the fleet's catalogue (several served models, each
resident or not), the adapters at the key's and the shared uploads."""

from dataclasses import dataclass

from sfumato.domain.keys import ApiKey
from sfumato.domain.models import MODELS
from sfumato.domain.sizes import presets
from sfumato.services.generation import GenerationService


@dataclass(frozen=True)
class ModelChoice:
    name: str
    description: str
    state: str  # what the page says of it: "served here" (later: resident, loading, queued for a worker)
    min_steps: int
    max_steps: int
    default_steps: int
    default_guidance: float
    native_size: int
    presets: list[tuple[str, int, int]]  # "16:9", width, height at its native area


@dataclass(frozen=True)
class LoraChoice:
    id: str
    name: str
    shared: bool


def model_choices(generation: GenerationService) -> list[ModelChoice]:
    """The models a key can generate with here, the server's default first: those this process serves
    (GenerationService.served), with the limits of their specs (domain.models)."""
    choices = []
    for name in generation.served:
        spec = MODELS[name]
        choices.append(
            ModelChoice(
                name=spec.name,
                description=spec.description,
                state="served here",
                min_steps=spec.min_steps,
                max_steps=spec.max_steps,
                default_steps=spec.default_steps,
                default_guidance=spec.default_guidance_scale,
                native_size=spec.native_size,
                presets=presets(spec.native_size),
            )
        )
    return choices


def lora_choices(key: ApiKey) -> list[LoraChoice]:
    """The adapters `key` may apply: its own and the shared ones. None can be uploaded yet, so none."""
    del key  # the key's own uploads, once there are any
    return []
