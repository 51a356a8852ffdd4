"""The one generation request every dialect translates into (docs/api.md, "Generation parameters"), and its
resolved form."""

import math
from dataclasses import asdict, dataclass
from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from sfumato.domain.errors import InvalidParameter
from sfumato.domain.models import ModelSpec
from sfumato.domain.styles import STYLES

MAX_PROMPT = 1000
MAX_NAME = 200
MAX_SEED = 2**31 - 1
MAX_IMAGES = 10
SIZE_MIN, SIZE_MAX, SIZE_STEP = 256, 2048, 64
ImageFormat = Literal["png", "jpeg", "webp"]


def plain_message(message: str) -> str:
    """A validation message as a person reads it: pydantic prefixes a validator's own words with
    "Value error, "."""
    return message.removeprefix("Value error, ")


def check_prompt(value: str) -> str:
    if not value.strip():
        raise ValueError("prompt must not be empty")
    if len(value) > MAX_PROMPT:
        raise ValueError(f"prompt must be at most {MAX_PROMPT} characters (got {len(value)})")
    return value


def check_seed(value: int | None) -> int | None:
    if value is not None and not 0 <= value <= MAX_SEED:
        raise ValueError(f"seed must be between 0 and {MAX_SEED}")
    return value


def check_images(value: int) -> int:
    if not 1 <= value <= MAX_IMAGES:
        raise ValueError(f"n must be between 1 and {MAX_IMAGES}")
    return value


# The rules every dialect shares, as types its schema can use.
Prompt = Annotated[str, AfterValidator(check_prompt)]
Seed = Annotated[int | None, AfterValidator(check_seed)]
ImageCount = Annotated[int, AfterValidator(check_images)]


class GenerationRequest(BaseModel):
    """docs/api.md §5. Strict: a string is not an integer, and unknown fields are refused."""

    model_config = ConfigDict(extra="forbid", strict=True)

    prompt: Prompt = Field(description="what to draw, 1 to 1000 characters")
    negative_prompt: str | None = Field(None, description="what to avoid, up to 1000 characters")
    seed: Seed = Field(None, description="0 to 2147483647; random when absent, always returned")
    width: int = Field(1024, description="a multiple of 64 from 256 to 2048")
    height: int = Field(1024, description="a multiple of 64 from 256 to 2048")
    steps: int | None = Field(None, description="denoising steps, within the model's range")
    guidance_scale: float | None = Field(None, description="0 to 20; the model's default when absent")
    style: str | None = Field(None, description="a preset from GET /v1/styles")
    n: ImageCount = Field(1, description="images to make, 1 to 10; image i uses seed + i")
    model: str | None = Field(
        None, description="a model from GET /v1/models; the server's default when absent"
    )
    format: ImageFormat = Field("png", description="png, jpeg or webp")
    quality: int = Field(90, description="1 to 100, for jpeg and webp")
    name: str = Field("untitled", description="a label for the images, up to 200 characters")
    webhook_url: str | None = Field(
        None, description="where to POST the job's end (https; Standard Webhooks signatures)"
    )

    @field_validator("negative_prompt")
    @classmethod
    def _negative_prompt(cls, value: str | None) -> str | None:
        if value is not None and len(value) > MAX_PROMPT:
            raise ValueError(f"negative_prompt must be at most {MAX_PROMPT} characters (got {len(value)})")
        return value or None

    @field_validator("width", "height")
    @classmethod
    def _size(cls, value: int, info: ValidationInfo) -> int:
        if value % SIZE_STEP or not SIZE_MIN <= value <= SIZE_MAX:
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
    def _name(cls, value: str) -> str:
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

    def resolve(self, spec: ModelSpec, seed: int) -> "JobParams":
        """Fill the defaults that depend on the model and the server; check the model's ranges."""
        steps = self.steps if self.steps is not None else spec.default_steps
        if not spec.min_steps <= steps <= spec.max_steps:
            raise InvalidParameter(
                f"steps must be between {spec.min_steps} and {spec.max_steps} for {spec.name}", param="steps"
            )
        guidance = self.guidance_scale if self.guidance_scale is not None else spec.default_guidance_scale
        return JobParams(
            prompt=self.prompt,
            negative_prompt=self.negative_prompt,
            seed=self.seed if self.seed is not None else seed,
            width=self.width,
            height=self.height,
            steps=steps,
            guidance_scale=guidance,
            style=self.style,
            n=self.n,
            model=spec.name,
            format=self.format,
            quality=self.quality,
            name=self.name,
            webhook_url=self.webhook_url,
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

    def seeds(self) -> list[int]:
        """Image i of a job uses seed + i."""
        return [self.seed + i for i in range(self.n)]

    def notes(self) -> list[str]:
        """What the job will not do as the caller may expect, known before it runs."""
        if self.negative_prompt and self.guidance_scale <= 1.0:
            return [
                f"negative_prompt has no effect at guidance_scale {self.guidance_scale:g}: without guidance "
                "the model never sees it; set guidance_scale above 1 (1.5 to 2 suits the distilled "
                "sdxl-lightning models) to apply it, at twice the denoising cost"
            ]
        return []

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        return cls(**data)
