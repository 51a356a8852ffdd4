"""The synchronous dialect's one route: generate, wait, answer the images."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response

from sfumato.api.deps import Fingerprint, idempotency
from sfumato.api.dialects.sync_style.schemas import SyncStyleImage, SyncStyleList, SyncStyleRequest
from sfumato.api.dialects.sync_style.translate import image_answer, to_generation
from sfumato.api.sync_answers import generate_and_wait
from sfumato.http.access import GenerationKey
from sfumato.http.deps import BaseUrl, GenerationDep, SettingsDep

router = APIRouter(tags=["synchronous style"])


@router.post("/api/generate-image", response_model=SyncStyleImage | SyncStyleList)
async def generate_image(
    body: SyncStyleRequest,
    key: GenerationKey,
    generation: GenerationDep,
    settings: SettingsDep,
    base_url: BaseUrl,
    response: Response,
    idempotency: Annotated[Fingerprint, Depends(idempotency("sync-style"))],
) -> Any:
    """Generate and answer with the image (n = 1) or `{"data": [images]}` (n > 1)."""
    request = to_generation(body, generation.catalogue[settings.model])
    seconds = settings.max_wait_seconds
    made = await generate_and_wait(generation, key, request, idempotency(body), response, seconds=seconds)
    images = [image_answer(image, base_url) for image in made]
    return images[0] if body.n == 1 else SyncStyleList(data=images)
