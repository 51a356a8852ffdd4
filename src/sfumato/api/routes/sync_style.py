"""The synchronous dialect (API.md §8): `POST /api/generate-image` answers with the image itself.

Its own rules, as its documentation states them: `style` one of five (default photorealistic),
`width`/`height` one of 512, 768, 1024, 1536, 1920 (default 1024), `guidance_scale` 1.0 to 20.0
(default 7.5), `prompt` up to 1000 characters, `n` 1 to 10. Its `url` needs no key until the image
expires. Its guidance scale belongs to undistilled models; it is mapped onto what the served model
can use (see `model_guidance`).
"""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator

from sfumato.api.deps import BaseUrl, Fingerprint, GenerationKey, ServicesDep, idempotency
from sfumato.api.outcome import generate_and_wait
from sfumato.api.schemas import Timestamp, access_url
from sfumato.db.tables import Image
from sfumato.domain.generation import GenerationRequest, ImageCount, Prompt, Seed
from sfumato.domain.models import MODELS, ModelSpec

router = APIRouter(tags=["synchronous style"])

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
    webhook_url: str | None = Field(None, description="also POST the job's end there (API.md §10)")

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

    def to_generation(self, spec: ModelSpec) -> GenerationRequest:
        return GenerationRequest(
            prompt=self.prompt,
            negative_prompt=self.negative_prompt,
            seed=self.seed,
            width=self.width,
            height=self.height,
            guidance_scale=model_guidance(self.guidance_scale, spec),
            style=self.style,
            n=self.n,
            webhook_url=self.webhook_url,
        )


def model_guidance(scale: float, spec: ModelSpec) -> float:
    """This dialect's 1 to 20 scale, onto the model's.

    A distilled model (default guidance 0, the SDXL-Lightning ones) was trained to run without
    guidance; the scale maps linearly onto 0 to 2, so the default 7.5 becomes 0.68 (no guidance, full
    speed) and only scales above 10.5 switch guidance on (the negative prompt then counts), at most
    2, as far as such a model tolerates. Other models take the scale as it is.
    """
    if spec.default_guidance_scale <= 1.0:
        return round((scale - 1.0) * 2.0 / 19.0, 4)
    return scale


class SyncStyleImage(BaseModel):
    id: str = Field(description="img_…")
    url: str = Field(description="needs no key, until the image expires")
    width: int
    height: int
    created_at: Timestamp
    prompt: str
    seed: int

    @classmethod
    def of(cls, image: Image, base_url: str) -> "SyncStyleImage":
        return cls(
            id="img_" + image.id.removeprefix("image_"),
            url=access_url(image, base_url),
            width=image.width,
            height=image.height,
            created_at=image.created_at,
            prompt=image.prompt,
            seed=image.seed,
        )


class SyncStyleList(BaseModel):
    data: list[SyncStyleImage]


@router.post("/api/generate-image", response_model=SyncStyleImage | SyncStyleList)
async def generate_image(
    body: SyncStyleRequest,
    key: GenerationKey,
    services: ServicesDep,
    base_url: BaseUrl,
    response: Response,
    idempotency: Annotated[Fingerprint, Depends(idempotency("sync-style"))],
) -> Any:
    """Generate and answer with the image (n = 1) or `{"data": [images]}` (n > 1)."""
    request = body.to_generation(MODELS[services.settings.model])
    made = await generate_and_wait(services, key, request, idempotency(body), response)
    images = [SyncStyleImage.of(image, base_url) for image in made]
    return images[0] if body.n == 1 else SyncStyleList(data=images)
