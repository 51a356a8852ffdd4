"""The models Sfumato knows by name (docs/models.md): the built-in catalogue, each entry's family, where its
weights come from, its step range, guidance, sizes and licence. Operators add entries of their own
(domain/catalogue.py); a local diffusers folder becomes an entry when it is served (engine/catalogue.py)."""

from dataclasses import dataclass

from sfumato.domain.families import CFG, FAMILIES, NO_GUIDANCE, Family

# Where a model's weights come from.
LIGHTNING = "lightning"  # SDXL base and one of ByteDance's distilled UNet files (engine/lightning.py)
PRETRAINED = "pretrained"  # a diffusers layout: a hub id or a local folder (`source`)
TINY = "tiny"  # tiny random weights built in code, for tests and smoke runs
RANDOM = "random"  # the full architecture with random weights, for speed runs
WEIGHTS = (LIGHTNING, PRETRAINED, TINY, RANDOM)

OPEN_RAIL = "CreativeML Open RAIL++-M"
APACHE = "Apache-2.0"


@dataclass(frozen=True)
class ModelSpec:
    name: str
    description: str
    default_steps: int
    min_steps: int
    max_steps: int
    default_guidance_scale: float
    native_size: int  # a request's width and height when it gives none
    created: int  # unix time of the model's release, for OpenAI-style listings
    owned_by: str
    lightning_steps: int | None = None  # which SDXL-Lightning UNet checkpoint, if any
    family: str = "sdxl"
    weights: str = PRETRAINED
    source: str = ""  # PRETRAINED: a Hugging Face hub id or a local diffusers folder
    guidance: str = CFG  # domain.families: cfg, embedded or none
    license: str = APACHE
    open_license: bool = True  # False: use is restricted beyond attribution (say so wherever it is listed)
    sequence_length: int | None = None  # T5's tokens, where the family has T5; None: the family's
    inpainting: bool = True  # False: a mask is refused even where the family could inpaint
    min_side: int = 256
    max_side: int = 2048

    @property
    def traits(self) -> Family:
        return FAMILIES[self.family]

    @property
    def inpaints(self) -> bool:
        return self.inpainting and self.traits.inpainting

    @property
    def text_sequence(self) -> int | None:
        """The T5 encoder's tokens for this model (None: the family reads with CLIP alone)."""
        return self.sequence_length or self.traits.sequence_length


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
        weights=LIGHTNING,
        license=OPEN_RAIL,
    )


def _made_here(name: str, description: str, family: str, weights: str) -> ModelSpec:
    """A model whose weights are random, made in code: its images are noise; its licence is ours."""
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
        family=family,
        weights=weights,
        guidance=NO_GUIDANCE if family == "flux" else CFG,
        sequence_length=256 if family != "sdxl" else None,  # as FLUX.1-schnell's and SD3's
    )


FLUX_SCHNELL = ModelSpec(
    name="flux.1-schnell",
    description="Black Forest Labs FLUX.1 [schnell], 4 steps, 1024x1024 native, no guidance",
    default_steps=4,
    min_steps=1,
    max_steps=8,
    default_guidance_scale=0.0,
    native_size=1024,
    created=1722470400,
    owned_by="black-forest-labs",
    family="flux",
    source="black-forest-labs/FLUX.1-schnell",
    guidance=NO_GUIDANCE,
    sequence_length=256,  # schnell was distilled at 256 T5 tokens
)
SD35_LARGE_TURBO = ModelSpec(
    name="sd3.5-large-turbo",
    description="Stability AI Stable Diffusion 3.5 Large Turbo, 4 steps, 1024x1024 native, no guidance",
    default_steps=4,
    min_steps=1,
    max_steps=8,
    default_guidance_scale=0.0,
    native_size=1024,
    created=1729555200,
    owned_by="stabilityai",
    family="sd3",
    source="stabilityai/stable-diffusion-3.5-large-turbo",
    guidance=NO_GUIDANCE,
    license="Stability AI Community License",
    open_license=False,
)
SDXL_TURBO = ModelSpec(
    name="sdxl-turbo",
    description="Stability AI SDXL-Turbo, 1 to 4 steps, 512x512 native, no guidance",
    default_steps=1,
    min_steps=1,
    max_steps=4,
    default_guidance_scale=0.0,
    native_size=512,
    created=1701129600,
    owned_by="stabilityai",
    source="stabilityai/sdxl-turbo",
    guidance=NO_GUIDANCE,
    license="Stability AI Non-Commercial Research Community License",
    open_license=False,
)

BUILT_IN: tuple[ModelSpec, ...] = (
    _lightning(4, 8),
    _lightning(2, 8),
    _lightning(8, 16),
    FLUX_SCHNELL,
    SD35_LARGE_TURBO,
    SDXL_TURBO,
    _made_here(
        "tiny",
        "SDXL-shaped pipeline with tiny random weights, built locally: its images are noise",
        "sdxl",
        TINY,
    ),
    _made_here(
        "sdxl-random",
        "the full SDXL-Lightning architecture with random weights, for speed runs",
        "sdxl",
        RANDOM,
    ),
    _made_here(
        "tiny-flux",
        "FLUX-shaped pipeline with tiny random weights, built locally: its images are noise",
        "flux",
        TINY,
    ),
    _made_here(
        "tiny-sd3",
        "SD3-shaped pipeline with tiny random weights, built locally: its images are noise",
        "sd3",
        TINY,
    ),
    _made_here(
        "flux-random",
        "FLUX.1 [schnell]'s full architecture with random weights, for speed runs",
        "flux",
        RANDOM,
    ),
)
MODELS: dict[str, ModelSpec] = {spec.name: spec for spec in BUILT_IN}
