"""The synchronous dialect's bodies, with its own validation rules."""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from sfumato.domain.loras import LoraUse
from sfumato.domain.rules import ImageCount, Prompt, Seed
from sfumato.http.objects import Timestamp

SIZES = (512, 768, 1024, 1536, 1920)
SyncStyle = Literal["photorealistic", "painting", "cartoon", "sketch", "abstract"]


class SyncStyleRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    prompt: Prompt = Field(description="what to draw, up to 1000 characters")
    style: SyncStyle = "photorealistic"
    width: int = Field(1024, description="512, 768, 1024, 1536 or 1920")
    height: int = Field(1024, description="512, 768, 1024, 1536 or 1920")
    seed: Seed = Field(None, description="0 to 2147483647")
    guidance_scale: float = Field(7.5, description="1.0 to 20.0, mapped onto what the model can use")
    negative_prompt: str | None = None
    n: ImageCount = Field(1, description="1 to 10 images")
    webhook_url: str | None = Field(None, description="also POST the job's end there (docs/webhooks.md)")
    loras: list[LoraUse] | None = Field(None, description="this server's: LoRA adapters (docs/api.md §16)")

    @field_validator("width", "height")
    @classmethod
    def _size(cls, value: int, info: Any) -> int:
        if value not in SIZES:
            raise ValueError(f"{info.field_name} must be one of 512, 768, 1024, 1536, or 1920")
        return value

    @field_validator("guidance_scale")
    @classmethod
    def _guidance(cls, value: float) -> float:
        if not 1.0 <= value <= 20.0:
            raise ValueError("guidance_scale must be between 1.0 and 20.0")
        return value


class SyncStyleImage(BaseModel):
    id: str = Field(description="img_…")
    url: str = Field(description="needs no key, until the image expires")
    width: int
    height: int
    created_at: Timestamp
    prompt: str
    seed: int


class SyncStyleList(BaseModel):
    data: list[SyncStyleImage]
