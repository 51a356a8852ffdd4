"""Published images, by their unguessable URL; no key."""

from fastapi import APIRouter, Response

from sfumato.api.deps import ServicesDep, in_thread
from sfumato.engine.encode import CONTENT_TYPES

router = APIRouter(tags=["public"])


@router.get("/p/{token}", response_class=Response, include_in_schema=False)
async def published(token: str, services: ServicesDep) -> Response:
    # The URL ends in the format's extension for browsers' sake; the token is what identifies it.
    image, data = await in_thread(services.images.public_content, token.split(".", 1)[0])
    # Short caching: an unpublished or deleted image must stop being served soon after.
    return Response(
        data, media_type=CONTENT_TYPES[image.format], headers={"Cache-Control": "public, max-age=60"}
    )


@router.get("/i/{token}", response_class=Response, include_in_schema=False)
async def accessed(token: str, services: ServicesDep) -> Response:
    """The key-free URL the hosted dialects answer with: it works until the image expires or is deleted."""
    image, data = await in_thread(services.images.access_content, token.split(".", 1)[0])
    return Response(
        data, media_type=CONTENT_TYPES[image.format], headers={"Cache-Control": "private, max-age=60"}
    )
