"""The synchronous dialect's one route: generate, wait, answer the images."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response

from sfumato.api.deps import BaseUrl, Fingerprint, GenerationKey, ServicesDep, idempotency
from sfumato.api.dialects.sync_style.schemas import SyncStyleImage, SyncStyleList, SyncStyleRequest
from sfumato.api.dialects.sync_style.translate import image_answer, to_generation
from sfumato.api.outcome import generate_and_wait

router = APIRouter(tags=["synchronous style"])


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
    request = to_generation(body, services.generation.catalogue[services.settings.model])
    made = await generate_and_wait(services, key, request, idempotency(body), response)
    images = [image_answer(image, base_url) for image in made]
    return images[0] if body.n == 1 else SyncStyleList(data=images)
