"""What the studio offers to choose from: the models the fleet serves (services.fleet: each with its state and
its limits, applied to the other fields in the browser) and the LoRA adapters (the key's own and the shared
ones, each shown with the models of its family). Each list comes from one function here, so that the pages
never ask the services themselves."""

from dataclasses import dataclass

from sfumato.domain.families import NO_GUIDANCE
from sfumato.domain.fleet import FleetModel
from sfumato.domain.keys import ApiKey
from sfumato.domain.models import ModelSpec
from sfumato.domain.plans import Limits
from sfumato.domain.sizes import presets
from sfumato.http.threads import in_thread
from sfumato.services.fleet import Fleet
from sfumato.services.generation import GenerationService
from sfumato.services.loras import LoraService


@dataclass(frozen=True)
class ModelChoice:
    name: str
    family: str
    description: str
    state: str  # what the page says of it: loaded, served but not in memory, or no worker running
    short: str  # the same in a word or two, beside its name in the list
    min_steps: int
    max_steps: int
    default_steps: int
    default_guidance: float
    native_size: int
    min_side: int
    max_side: int
    presets: list[tuple[str, int, int]]  # "16:9", width, height at its native area
    negative: str  # when the model reads a negative prompt: "cfg" (above guidance 1), or "never"
    negative_reason: str  # why it does not, where it never does
    guidance_used: bool  # False: distilled to run without guidance; a scale sent is not used
    image_in: bool  # takes an input image
    inpaints: bool  # takes a mask


def state_of(model: FleetModel) -> tuple[str, str]:
    """What the page says of a model's state, at length and in short."""
    if model.loaded:
        return "loaded: a worker holds it in memory", "loaded"
    if model.workers:
        return "served, not in memory: its first job loads it", "not loaded"
    return "no worker serves it now: its jobs wait for one to start", "no worker"


def choice_of(spec: ModelSpec, model: FleetModel) -> ModelChoice:
    family = spec.traits
    never = ""
    if not family.negative_prompt:
        never = f"{family.title} models take no negative prompt."
    elif spec.guidance == NO_GUIDANCE:
        never = f"{spec.name} runs without guidance, so it never reads a negative prompt."
    state, short = state_of(model)
    return ModelChoice(
        name=spec.name,
        family=spec.family,
        description=spec.description,
        state=state,
        short=short,
        min_steps=spec.min_steps,
        max_steps=spec.max_steps,
        default_steps=spec.default_steps,
        default_guidance=spec.default_guidance_scale,
        native_size=spec.native_size,
        min_side=spec.min_side,
        max_side=spec.max_side,
        presets=presets(spec.native_size),
        negative="never" if never else "cfg",
        negative_reason=never,
        guidance_used=spec.guidance != NO_GUIDANCE,
        image_in=family.image_to_image,
        inpaints=spec.inpaints,
    )


async def model_choices(generation: GenerationService, fleet: Fleet, limits: Limits) -> list[ModelChoice]:
    """The models a key can generate with: those the fleet serves (this server's own first, its default
    leading), as GET /v1/models lists them, less those the key's plan does not allow."""
    catalogue = generation.catalogue
    choices = [
        choice_of(catalogue[model.name], model)
        for model in await in_thread(fleet.models)
        if model.name in catalogue and limits.allows(model.name)
    ]
    if not choices:  # a plan that allows none of the fleet's models: the default, which it refuses by name
        name = generation.served[0]
        choices = [choice_of(catalogue[name], FleetModel(name, 0, False))]
    return choices


@dataclass(frozen=True)
class LoraChoice:
    id: str
    name: str
    family: str  # the page offers an adapter only with a model of its family
    shared: bool
    trigger_words: tuple[str, ...]


MOST_LORA_ROWS = 4  # the form's rows of adapters, at most (a plan may allow more; the API takes them)


def lora_rows(limits: Limits) -> int:
    """How many adapters the studio's form offers to apply at once: the plan's `max_loras` (docs/api.md
    §16), one row where the plan says nothing of them."""
    return max(1, min(MOST_LORA_ROWS, limits.max_loras))


async def lora_choices(service: LoraService, key: ApiKey) -> list[LoraChoice]:
    """The adapters `key` may apply, of every family: its own and the shared ones, as GET /v1/loras lists
    them (the LoRA service's `usable`)."""
    found = await in_thread(service.usable, key)
    return [
        LoraChoice(lora.id, lora.name, lora.family, lora.shared, tuple(lora.trigger_words)) for lora in found
    ]
