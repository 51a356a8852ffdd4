"""OpenAI's images API (API.md §8): `POST /v1/images/generations`, for the official clients unchanged.

OpenAI's own model names (dall-e-2, dall-e-3, gpt-image-1, …) run on the served model; a model this
server knows by name must be the served one. `size` is `WxH` (multiples of 64 from 256 to 2048, as
§5) or `auto` (the model's native size). `quality`, `user`, `background` and `moderation` are
accepted and have no effect; `style` is one of this server's presets, and OpenAI's `vivid` and
`natural` mean none. `output_compression` (0 to 100) is the jpeg/webp quality.
"""

import base64
import re
import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sfumato.api.deps import (
    BaseUrl,
    Fingerprint,
    GenerationKey,
    ServicesDep,
    idempotency,
    in_thread,
)
from sfumato.api.outcome import generate_and_wait
from sfumato.api.schemas import access_url
from sfumato.domain.errors import InvalidParameter
from sfumato.domain.generation import GenerationRequest
from sfumato.domain.models import MODELS

router = APIRouter(tags=["openai"])

_SIZE = re.compile(r"^(\d+)x(\d+)$")


class OpenAIImageRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    prompt: str
    model: str | None = None
    n: int = 1
    size: str | None = Field(None, description="WxH, or auto")
    response_format: Literal["url", "b64_json"] | None = None
    output_format: Literal["png", "jpeg", "webp"] = "png"
    output_compression: int | None = Field(None, description="0 to 100: the jpeg or webp quality")
    quality: str | None = None
    style: str | None = None
    user: str | None = None
    background: str | None = None
    moderation: str | None = None
    negative_prompt: str | None = None
    seed: int | None = None
    webhook_url: str | None = None

    @field_validator("output_compression")
    @classmethod
    def _compression(cls, value: int | None) -> int | None:
        if value is not None and not 0 <= value <= 100:
            raise ValueError("output_compression must be between 0 and 100")
        return value

    def to_generation(self, served: str) -> GenerationRequest:
        model = self.model if self.model in MODELS else None  # OpenAI's names: the served model
        native = MODELS[model or served].native_size
        width = height = native
        if self.size not in (None, "auto"):
            match = _SIZE.match(self.size)
            if match is None:
                raise InvalidParameter("size must be WxH (for example 1024x1024) or auto", param="size")
            width, height = int(match[1]), int(match[2])
        style = None if self.style in (None, "vivid", "natural") else self.style
        values: dict[str, Any] = {
            "prompt": self.prompt,
            "negative_prompt": self.negative_prompt,
            "seed": self.seed,
            "width": width,
            "height": height,
            "style": style,
            "n": self.n,
            "model": model,
            "format": self.output_format,
            "webhook_url": self.webhook_url,
        }
        if self.output_compression is not None:
            values["quality"] = max(self.output_compression, 1)
        try:
            return GenerationRequest(**values)
        except ValidationError as error:
            first = error.errors()[0]
            field = str(first["loc"][0]) if first["loc"] else None
            message = str(first["msg"]).removeprefix("Value error, ")
            if field in ("width", "height"):  # this dialect names them `size`
                raise InvalidParameter(f"size: {message}", param="size") from None
            raise


class OpenAIImage(BaseModel):
    url: str | None = None
    b64_json: str | None = None
    revised_prompt: str


class OpenAIImagesResponse(BaseModel):
    created: int
    data: list[OpenAIImage]
    output_format: str
    size: str


@router.post(
    "/v1/images/generations",
    response_model=OpenAIImagesResponse,
    response_model_exclude_none=True,
)
async def generations(
    body: OpenAIImageRequest,
    key: GenerationKey,
    services: ServicesDep,
    base_url: BaseUrl,
    response: Response,
    idempotency: Annotated[Fingerprint, Depends(idempotency("openai"))],
) -> Any:
    """OpenAI-compatible generation: waits, then answers with URLs (key-free, until expiry) or base64."""
    request = body.to_generation(services.settings.model)
    images = await generate_and_wait(services, key, request, idempotency(body), response)
    data = []
    for image in images:
        if body.response_format == "b64_json":
            _, content = await in_thread(services.images.content, key, image.id)
            data.append(OpenAIImage(b64_json=base64.b64encode(content).decode(), revised_prompt=image.prompt))
        else:
            data.append(OpenAIImage(url=access_url(image, base_url), revised_prompt=image.prompt))
    return OpenAIImagesResponse(
        created=int(time.time()),
        data=data,
        output_format=request.format,
        size=f"{request.width}x{request.height}",
    )
