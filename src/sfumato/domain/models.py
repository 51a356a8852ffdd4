"""The catalog of models Sfumato knows (docs/api.md §2): names, step ranges, defaults."""

from dataclasses import dataclass


@dataclass(frozen=True)
class ModelSpec:
    name: str
    description: str
    default_steps: int
    min_steps: int
    max_steps: int
    default_guidance_scale: float
    native_size: int
    created: int  # unix time of the model's release, for OpenAI-style listings
    owned_by: str
    lightning_steps: int | None = None  # which SDXL-Lightning UNet checkpoint, if any


def _lightning(steps: int, max_steps: int) -> ModelSpec:
    return ModelSpec(
        name="sdxl-lightning" if steps == 4 else f"sdxl-lightning-{steps}step",
        description=f"ByteDance SDXL-Lightning, {steps} steps, 1024x1024 native, guidance 0",
        default_steps=steps,
        min_steps=1,
        max_steps=max_steps,
        default_guidance_scale=0.0,
        native_size=1024,
        created=1708300800,
        owned_by="bytedance",
        lightning_steps=steps,
    )


def _random_weights(name: str, description: str) -> ModelSpec:
    return ModelSpec(
        name=name,
        description=description,
        default_steps=4,
        min_steps=1,
        max_steps=50,
        default_guidance_scale=0.0,
        native_size=1024,
        created=1763769600,
        owned_by="sfumato",
    )


MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        _lightning(4, 8),
        _lightning(2, 8),
        _lightning(8, 16),
        _random_weights(
            "tiny", "SDXL-shaped pipeline with tiny random weights, built locally: its images are noise"
        ),
        _random_weights(
            "sdxl-random", "the full SDXL-Lightning architecture with random weights, for speed runs"
        ),
    )
}
