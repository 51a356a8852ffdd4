"""OpenAI's `POST /v1/images/generations`."""

import base64
import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response

from sfumato.api.deps import BaseUrl, Fingerprint, GenerationKey, ServicesDep, idempotency, in_thread
from sfumato.api.dialects.openai.schemas import OpenAIImage, OpenAIImageRequest, OpenAIImagesResponse
from sfumato.api.dialects.openai.translate import to_generation
from sfumato.api.outcome import generate_and_wait
from sfumato.api.schemas import access_url

router = APIRouter(tags=["openai"])


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
    request = to_generation(body, services.settings.model)
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
