"""The one generation request every dialect translates into (docs/api.md, "Generation parameters"), and its
resolved form."""

import math
from dataclasses import dataclass, fields
from functools import cache
from typing import Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from sfumato.domain.errors import InvalidParameter
from sfumato.domain.inputs import TEXT, InputSummary, steps_run
from sfumato.domain.models import ModelSpec
from sfumato.domain.naming import default_name
from sfumato.domain.rules import DEFAULT_NAME, MAX_NAME, MAX_PROMPT, ImageCount, Seed
from sfumato.domain.sizes import SIZE_MAX, SIZE_MIN, SIZE_STEP, size_for_input, valid_side
from sfumato.domain.styles import STYLES

ImageFormat = Literal["png", "jpeg", "webp"]
EMPTY_PROMPT = "empty_prompt_allowed"  # validation context: this dialect's clients may send no prompt


class GenerationRequest(BaseModel):
    """docs/api.md §5. Strict: a string is not an integer, and unknown fields are refused."""

    model_config = ConfigDict(extra="forbid", strict=True)

    prompt: str = Field(description="what to draw, 1 to 1000 characters")
    negative_prompt: str | None = Field(None, description="what to avoid, up to 1000 characters")
    seed: Seed = Field(None, description="0 to 2147483647; random when absent, always returned")
    width: int = Field(1024, description="a multiple of 64 from 256 to 2048; with `image`, its size rounded")
    height: int = Field(1024, description="a multiple of 64 from 256 to 2048; with `image`, its size rounded")
    steps: int | None = Field(None, description="denoising steps, within the model's range")
    guidance_scale: float | None = Field(None, description="0 to 20; the model's default when absent")
    style: str | None = Field(None, description="a preset from GET /v1/styles")
    n: ImageCount = Field(1, description="images to make, 1 to 10; image i uses seed + i")
    model: str | None = Field(
        None, description="a model from GET /v1/models; the server's default when absent"
    )
    format: ImageFormat = Field("png", description="png, jpeg or webp")
    quality: int = Field(90, description="1 to 100, for jpeg and webp")
    name: str | None = Field(
        None,
        description="a label for the images, up to 200 characters; with an `image` of this key, its name; "
        "else the prompt's first words",
    )
    webhook_url: str | None = Field(
        None, description="where to POST the job's end (https; Standard Webhooks signatures)"
    )
    image: str | None = Field(
        None,
        description="image-to-image: one of this key's image ids, or a PNG, JPEG or WebP as base64 or a "
        "data: URL",
    )
    mask: str | None = Field(
        None,
        description="inpainting, with `image`: white (or transparent) is repainted, black kept; the same "
        "forms as `image`",
    )
    strength: float | None = Field(
        None, description="with `image`: 0 to 1, how much of the image is redrawn (default 0.6)"
    )
    previews: bool = Field(
        False, description="add a small picture to each progress event of GET /v1/jobs/{id}/events"
    )

    @field_validator("prompt")
    @classmethod
    def _prompt(cls, value: str, info: ValidationInfo) -> str:
        # A dialect whose clients may send no prompt (variations, AUTOMATIC1111's) says so in the context.
        if not value.strip() and not (info.context or {}).get(EMPTY_PROMPT):
            raise ValueError("prompt must not be empty")
        if len(value) > MAX_PROMPT:
            raise ValueError(f"prompt must be at most {MAX_PROMPT} characters (got {len(value)})")
        return value

    @model_validator(mode="after")
    def _inputs(self) -> Self:
        # Raised as the domain's error, not pydantic's: a rule across fields still names its field.
        if self.mask is not None and self.image is None:
            raise InvalidParameter("mask needs an image to apply to: send `image` too", param="mask")
        if self.strength is not None:
            if self.image is None:
                raise InvalidParameter(
                    "strength applies to image-to-image: send `image` too", param="strength"
                )
            if not (math.isfinite(self.strength) and 0 <= self.strength <= 1):
                raise InvalidParameter("strength must be a number between 0 and 1", param="strength")
        return self

    @field_validator("negative_prompt")
    @classmethod
    def _negative_prompt(cls, value: str | None) -> str | None:
        if value is not None and len(value) > MAX_PROMPT:
            raise ValueError(f"negative_prompt must be at most {MAX_PROMPT} characters (got {len(value)})")
        return value or None

    @field_validator("width", "height")
    @classmethod
    def _size(cls, value: int, info: ValidationInfo) -> int:
        if not valid_side(value):
            raise ValueError(
                f"{info.field_name} must be a multiple of {SIZE_STEP} between {SIZE_MIN} and {SIZE_MAX}"
            )
        return value

    @field_validator("steps")
    @classmethod
    def _steps(cls, value: int | None) -> int | None:
        if value is not None and value < 1:
            raise ValueError("steps must be at least 1")
        return value

    @field_validator("guidance_scale")
    @classmethod
    def _guidance(cls, value: float | None) -> float | None:
        if value is not None and not (math.isfinite(value) and 0 <= value <= 20):
            raise ValueError("guidance_scale must be a number between 0 and 20")
        return value

    @field_validator("style")
    @classmethod
    def _style(cls, value: str | None) -> str | None:
        if value is not None and value not in STYLES:
            raise ValueError(f"style must be one of {', '.join(STYLES)}")
        return value

    @field_validator("quality")
    @classmethod
    def _quality(cls, value: int) -> int:
        if not 1 <= value <= 100:
            raise ValueError("quality must be between 1 and 100")
        return value

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.strip():
            raise ValueError("name must not be empty")
        if len(value) > MAX_NAME:
            raise ValueError(f"name must be at most {MAX_NAME} characters")
        return value

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        if value is not None and not 1 <= len(value) <= 2000:
            raise ValueError("webhook_url must be 1 to 2000 characters")
        return value

    def _name_for(self, source: InputSummary | None) -> str:
        """The name given; else an input image's of this key; else the prompt's first words."""
        if self.name is not None:
            return self.name
        return (source.source_name if source else None) or default_name(self.prompt)

    def resolve(self, spec: ModelSpec, seed: int, source: InputSummary | None = None) -> "JobParams":
        """Fill the defaults that depend on the model, the server and the input picture (`source`, read
        and checked by the caller when `image` was sent); check the model's ranges."""
        steps = self.steps if self.steps is not None else spec.default_steps
        if not spec.min_steps <= steps <= spec.max_steps:
            raise InvalidParameter(
                f"steps must be between {spec.min_steps} and {spec.max_steps} for {spec.name}", param="steps"
            )
        guidance = self.guidance_scale if self.guidance_scale is not None else spec.default_guidance_scale
        given = self.model_fields_set  # with an input, the sizes and name not given follow it
        width, height = size_for_input(source.width, source.height) if source else (self.width, self.height)
        return JobParams(
            prompt=self.prompt,
            negative_prompt=self.negative_prompt,
            seed=self.seed if self.seed is not None else seed,
            width=self.width if "width" in given else width,
            height=self.height if "height" in given else height,
            steps=steps,
            guidance_scale=guidance,
            style=self.style,
            n=self.n,
            model=spec.name,
            format=self.format,
            quality=self.quality,
            name=self._name_for(source),
            name_given=self.name is not None,
            webhook_url=self.webhook_url,
            mode=source.mode if source else TEXT,
            strength=(self.strength if self.strength is not None else source.strength) if source else None,
            source_image_id=source.source_image_id if source else None,
            ignored_images=source.ignored if source else 0,
            previews=self.previews,
        )


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
    name_given: bool | None = None  # a person chose the name (None: a job from before this was kept)

    def steps_to_run(self) -> int:
        """The denoising steps the job runs: all its steps, or the tail that an input's strength leaves."""
        return self.steps if self.strength is None else steps_run(self.steps, self.strength)

    def person_named(self) -> bool:
        """Whether a person gave the name (not the prompt's first words, nor an input image's name)."""
        return self.name_given if self.name_given is not None else self.name != DEFAULT_NAME

    def seeds(self) -> list[int]:
        """Image i of a job uses seed + i."""
        return [self.seed + i for i in range(self.n)]

    def notes(self) -> list[str]:
        """What the job will not do as the caller may expect, known before it runs."""
        notes = []
        if self.negative_prompt and self.guidance_scale <= 1.0:
            notes.append(
                f"negative_prompt has no effect at guidance_scale {self.guidance_scale:g}: without guidance "
                "the model never sees it; set guidance_scale above 1 (1.5 to 2 suits the distilled "
                "sdxl-lightning models) to apply it, at twice the denoising cost"
            )
        if self.ignored_images:
            notes.append(
                f"{self.ignored_images} more image{'s were' if self.ignored_images > 1 else ' was'} sent; "
                "only the first was edited"
            )
        if self.strength is not None and steps_run(self.steps, self.strength) == 0:
            notes.append(
                f"strength {self.strength:g} runs no step of {self.steps} (floor(steps x strength) do): "
                "the images are the input unchanged"
            )
        return notes

    def to_dict(self) -> dict[str, Any]:
        # Each field's value, lists copied (their items are plain values): dataclasses.asdict's deep copy
        # cost a poll a tenth of its time.
        values = ((name, getattr(self, name)) for name in _field_names(JobParams))
        return {name: list(value) if isinstance(value, list) else value for name, value in values}

    def public(self) -> dict[str, Any]:
        """What a client sees of the parameters: where the inputs are stored is the service's business."""
        shown = self.to_dict()
        for internal in (
            "input_key",
            "mask_key",
            "ingredient_key",
            "ignored_images",
            "previews",
            "name_given",
        ):
            shown.pop(internal)
        if self.mode == TEXT:
            for absent in ("mode", "strength", "source_image_id"):
                shown.pop(absent)
        return shown

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        return cls(**data)


@cache
def _field_names(cls: Any) -> tuple[str, ...]:
    return tuple(field.name for field in fields(cls))
