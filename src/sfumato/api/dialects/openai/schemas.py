"""OpenAI's request and answer shapes, as its official client sends and reads them."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from sfumato.domain.rules import PROMPT_SCHEMA


class OpenAIImageRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    prompt: str = Field(json_schema_extra=PROMPT_SCHEMA)  # refused empty (translate.py), as OpenAI does
    model: str | None = None
    n: int = 1
    size: str | None = Field(None, description="WxH, or auto")
    response_format: Literal["url", "b64_json"] | None = None
    output_format: Literal["png", "jpeg", "webp"] = "png"
    output_compression: int | None = Field(None, description="0 to 100: the jpeg or webp quality")
    quality: Literal["low", "medium", "high", "auto", "standard", "hd"] | None = Field(
        None, description="the steps the model runs: low fewer, high more (docs/clients.md)"
    )
    style: str | None = None
    user: str | None = None
    background: Literal["transparent", "opaque", "auto"] | None = None
    moderation: str | None = None
    negative_prompt: str | None = None
    seed: int | None = None
    webhook_url: str | None = None
    stream: bool = Field(False, description="answer Server-Sent Events: partial images, then the image")
    partial_images: int | None = Field(
        None, ge=0, le=3, description="previews to stream before the image, 0 to 3"
    )

    @field_validator("output_compression")
    @classmethod
    def _compression(cls, value: int | None) -> int | None:
        if value is not None and not 0 <= value <= 100:
            raise ValueError("output_compression must be between 0 and 100")
        return value


class OpenAIEditRequest(OpenAIImageRequest):
    """POST /v1/images/edits, beside its files: multipart values come as strings (`n="2"`). The JSON form
    (`images: [{"image_url": "data:…"}]`, `mask: {"image_url": …}`) carries its pictures as data: URLs."""

    input_fidelity: str | None = None
    strength: float | None = Field(None, description="this server's: how much of the image is redrawn")
    images: list[dict[str, str]] | None = Field(None, description='JSON form: [{"image_url": "data:…"}]')
    mask: dict[str, str] | None = Field(None, description='JSON form: {"image_url": "data:…"}')


class OpenAIVariationRequest(BaseModel):
    """POST /v1/images/variations, beside its file."""

    model_config = ConfigDict(extra="ignore")

    model: str | None = None
    n: int = 1
    size: str | None = Field(None, description="WxH, or auto: the image's own size")
    response_format: Literal["url", "b64_json"] | None = None
    user: str | None = None
    strength: float | None = Field(None, description="this server's: how much of the image is redrawn")
    seed: int | None = None
    webhook_url: str | None = None


class OpenAIImage(BaseModel):
    url: str | None = None
    b64_json: str | None = None
    revised_prompt: str


class OpenAIImagesResponse(BaseModel):
    created: int
    data: list[OpenAIImage]
    background: str | None = None
    output_format: str
    quality: str | None = None
    size: str
