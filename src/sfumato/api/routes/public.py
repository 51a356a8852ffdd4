"""Published images, by their unguessable URL; no key."""

from fastapi import APIRouter, Response
from fastapi.responses import RedirectResponse

from sfumato.http.deps import ImagesDep
from sfumato.http.threads import in_thread
from sfumato.imaging.formats import CONTENT_TYPES
from sfumato.services.images import Delivery

router = APIRouter(tags=["public"])


@router.get("/p/{token}", response_class=Response, include_in_schema=False)
async def published(token: str, images: ImagesDep) -> Response:
    # The URL ends in the format's extension for browsers' sake; the token is what identifies it.
    delivery = await in_thread(images.public_content, token.split(".", 1)[0])
    # Short caching: an unpublished or deleted image must stop being served soon after.
    return _answer(delivery, "public, max-age=60")


@router.get("/i/{token}", response_class=Response, include_in_schema=False)
async def accessed(token: str, images: ImagesDep) -> Response:
    """The key-free URL the hosted dialects answer with: it works until the image expires or is deleted."""
    delivery = await in_thread(images.access_content, token.split(".", 1)[0])
    return _answer(delivery, "private, max-age=60")


def _answer(delivery: Delivery, cache: str) -> Response:
    """The bytes, or a 307 to the store (SFUMATO_IMAGE_DELIVERY) that is never cached for longer."""
    if delivery.location is not None:
        return RedirectResponse(delivery.location, status_code=307, headers={"Cache-Control": "no-store"})
    assert delivery.data is not None
    return Response(
        delivery.data, media_type=CONTENT_TYPES[delivery.image.format], headers={"Cache-Control": cache}
    )
