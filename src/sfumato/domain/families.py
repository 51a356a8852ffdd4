"""What each model family honours, as plain data (docs/models.md, "Families"): the rules a request is
checked and translated by before any model runs. The engine's module of each family (engine/families/)
holds how it runs; this is the pure description the domain asks.

Guidance comes in three kinds, and a model has one of them (its catalogue entry says which):
- `cfg`: classifier-free guidance above a scale of 1 (a second, unconditional pass that the negative prompt
  steers); at 1 or below none, so every such scale is the same call (SDXL, SD3);
- `embedded`: the scale is an input of the model itself (FLUX.1-dev's guidance embedding): one pass, but
  each scale is its own call;
- `none`: the model was distilled to run without guidance (FLUX.1-schnell, SD3.5 Large Turbo, SDXL-Turbo):
  a scale sent is not used, and the job says so.

How many steps an input picture runs: SDXL's image-to-image takes floor(steps x strength) of them; the
flow-matching pipelines (FLUX, SD3) take steps - int(steps - steps x strength), which rounds up.
"""

from dataclasses import dataclass

CFG, EMBEDDED, NO_GUIDANCE = "cfg", "embedded", "none"
GUIDANCE_KINDS = (CFG, EMBEDDED, NO_GUIDANCE)
FLOOR, FLOW = "floor", "flow"  # how an input's strength becomes steps (the module's text)


@dataclass(frozen=True)
class Family:
    name: str
    title: str
    negative_prompt: bool  # whether any of its models reads one (under guidance)
    guidance: tuple[str, ...]  # the kinds its models may have; the first is its usual one
    image_to_image: bool
    inpainting: bool
    strength_steps: str  # FLOOR or FLOW
    default_steps: int  # for a folder of this family that says nothing of its own
    default_guidance_scale: float
    sequence_length: int | None  # T5's tokens (diffusers' max_sequence_length), where it has a T5 encoder

    def honours_negative(self, guidance: str, scale: float) -> bool:
        """Whether a negative prompt reaches the model: only under classifier-free guidance."""
        return self.negative_prompt and guidance == CFG and scale > 1.0


SDXL = Family(
    name="sdxl",
    title="Stable Diffusion XL",
    negative_prompt=True,
    guidance=(CFG, NO_GUIDANCE),
    image_to_image=True,
    inpainting=True,
    strength_steps=FLOOR,
    default_steps=30,
    default_guidance_scale=5.0,
    sequence_length=None,  # CLIP alone: 77 tokens
)
FLUX = Family(
    name="flux",
    title="FLUX.1",
    negative_prompt=False,
    guidance=(NO_GUIDANCE, EMBEDDED),
    image_to_image=True,
    inpainting=True,
    strength_steps=FLOW,
    default_steps=4,
    default_guidance_scale=0.0,
    sequence_length=512,
)
SD3 = Family(
    name="sd3",
    title="Stable Diffusion 3",
    negative_prompt=True,
    guidance=(CFG, NO_GUIDANCE),
    image_to_image=True,
    inpainting=True,
    strength_steps=FLOW,
    default_steps=28,
    default_guidance_scale=7.0,
    sequence_length=256,
)

# One line per family (engine/families/ lists how each runs).
FAMILIES: dict[str, Family] = {family.name: family for family in (SDXL, FLUX, SD3)}
