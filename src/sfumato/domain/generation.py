"""The one generation request every dialect translates into (docs/api.md, "Generation parameters"); its
resolved form, what a job stores, is domain.params.JobParams."""

import math
from collections.abc import Sequence
from typing import Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from sfumato.domain.errors import InvalidParameter
from sfumato.domain.fairness import NORMAL, Priority
from sfumato.domain.honoured import check_inputs, check_sides, model_guidance
from sfumato.domain.inputs import TEXT, InputSummary
from sfumato.domain.loras import Adapter, LoraUse
from sfumato.domain.models import ModelSpec
from sfumato.domain.naming import default_name
from sfumato.domain.params import JobParams
from sfumato.domain.rules import (
    MAX_NAME,
    MAX_PROMPT,
    NAME_SCHEMA,
    PROMPT_SCHEMA,
    ImageCount,
    Seed,
)
from sfumato.domain.sizes import SIZE_MAX, SIZE_MIN, SIZE_STEP, size_for_input, valid_side
from sfumato.domain.styles import STYLES

ImageFormat = Literal["png", "jpeg", "webp"]
EMPTY_PROMPT = "empty_prompt_allowed"  # validation context: this dialect's clients may send no prompt


class GenerationRequest(BaseModel):
    """docs/api.md §5. Strict: a string is not an integer, and unknown fields are refused."""

    model_config = ConfigDict(extra="forbid", strict=True)

    prompt: str = Field(description="what to draw, 1 to 1000 characters", json_schema_extra=PROMPT_SCHEMA)
    negative_prompt: str | None = Field(None, description="what to avoid, up to 1000 characters")
    seed: Seed = Field(None, description="0 to 2147483647; random when absent, always returned")
    width: int = Field(
        1024,
        description="a multiple of 64 from 256 to 2048; the model's native size (1024 for most) when absent; "
        "with `image`, its size rounded",
    )
    height: int = Field(
        1024,
        description="a multiple of 64 from 256 to 2048; the model's native size (1024 for most) when absent; "
        "with `image`, its size rounded",
    )
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
        json_schema_extra=NAME_SCHEMA,
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
    priority: Priority = Field(
        NORMAL,
        description="low, normal or high: the order of this key's own queued jobs, up to the plan's "
        "`max_priority`",
    )
    loras: list[LoraUse] | None = Field(
        None,
        description='LoRA adapters of GET /v1/loras: [{"name" or "id", "weight"}], weight -2 to 2 '
        "(default 1), at most the plan's max_loras",
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

    def resolve(
        self,
        spec: ModelSpec,
        seed: int,
        source: InputSummary | None = None,
        adapters: Sequence[Adapter] = (),
    ) -> JobParams:
        """Fill the defaults that depend on the model, the server and the input picture (`source`, read
        and checked by the caller when `image` was sent); check the model's ranges, and what its family
        honours (domain.families): what it cannot honour is translated and noted, or refused by field.
        `adapters`: the request's `loras`, resolved by the caller (services.loras)."""
        steps = self.steps if self.steps is not None else spec.default_steps
        if not spec.min_steps <= steps <= spec.max_steps:
            raise InvalidParameter(
                f"steps must be between {spec.min_steps} and {spec.max_steps} for {spec.name}", param="steps"
            )
        guidance, adjusted = model_guidance(self.guidance_scale, spec)
        given = self.model_fields_set  # with an input, the sizes and name not given follow it
        width, height = (
            size_for_input(source.width, source.height) if source else (spec.native_size, spec.native_size)
        )
        width, height = (
            self.width if "width" in given else width,
            self.height if "height" in given else height,
        )
        check_sides(spec, width, height)
        if source is not None:
            check_inputs(spec, source)
        return JobParams(
            prompt=self.prompt,
            negative_prompt=self.negative_prompt,
            seed=self.seed if self.seed is not None else seed,
            width=width,
            height=height,
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
            family=spec.family,
            guidance=spec.guidance,
            adjusted=adjusted,
            priority=self.priority,
            loras=tuple(adapters),
        )
