"""Stored images: list, read, delete, content, publish. docs/api.md §7."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from sfumato.api.schemas import Deleted, Limit, ListPublic
from sfumato.http.access import CurrentKey, GenerationKey
from sfumato.http.answers import answer
from sfumato.http.deps import BaseUrl, ImagesDep
from sfumato.http.objects import ImagePublic
from sfumato.http.threads import in_thread
from sfumato.imaging.formats import CONTENT_TYPES
from sfumato.services.images import Transform

router = APIRouter(tags=["images"])


@router.get("/v1/images", response_model=ListPublic[ImagePublic])
async def list_images(
    key: CurrentKey,
    images: ImagesDep,
    base_url: BaseUrl,
    name: Annotated[str | None, Query(max_length=200)] = None,
    limit: Limit = 20,
    after: str | None = None,
) -> Any:
    """This key's images, newest first; `name` keeps those of that exact name."""
    page = await in_thread(images.list_images, key, name=name, limit=limit, after=after)
    return answer(ListPublic[ImagePublic].of(page, lambda image: ImagePublic.of(image, base_url)))


@router.get("/v1/images/{image_id}", response_model=ImagePublic)
async def get_image(image_id: str, key: CurrentKey, images: ImagesDep, base_url: BaseUrl) -> Any:
    return answer(ImagePublic.of(await in_thread(images.get, key, image_id), base_url))


@router.delete("/v1/images/{image_id}", response_model=Deleted)
async def delete_image(image_id: str, key: CurrentKey, images: ImagesDep) -> Any:
    """Delete the image and its file; its public URL stops working."""
    await in_thread(images.delete, key, image_id)
    return Deleted(id=image_id, object="image")


@router.get(
    "/v1/images/{image_id}/content",
    response_class=Response,
    responses={200: {"content": {t: {} for t in CONTENT_TYPES.values()}, "description": "the image file"}},
)
async def image_content(image_id: str, key: CurrentKey, images: ImagesDep) -> Response:
    image, data = await in_thread(images.content, key, image_id)
    return Response(
        data, media_type=CONTENT_TYPES[image.format], headers={"Cache-Control": "private, max-age=3600"}
    )


@router.post("/v1/images/{image_id}/publish", response_model=ImagePublic)
async def publish_image(image_id: str, key: CurrentKey, images: ImagesDep, base_url: BaseUrl) -> Any:
    """Give the image a public, unguessable `url` that needs no key."""
    return ImagePublic.of(await in_thread(images.publish, key, image_id), base_url)


@router.post("/v1/images/{image_id}/unpublish", response_model=ImagePublic)
async def unpublish_image(image_id: str, key: CurrentKey, images: ImagesDep, base_url: BaseUrl) -> Any:
    """Clear `url`; the old address stops working at once."""
    return ImagePublic.of(await in_thread(images.unpublish, key, image_id), base_url)


class TransformRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"minProperties": 1})  # at least one

    format: Literal["png", "jpeg", "webp"] | None = Field(None, description="default: the original's")
    width: int | None = Field(None, ge=16, le=2048, description="pixels; alone, the height follows")
    height: int | None = Field(None, ge=16, le=2048, description="pixels; with width, cropped to cover")
    quality: int | None = Field(None, ge=1, le=100, description="jpeg and webp; default 90")


@router.post("/v1/images/{image_id}/transform", status_code=201, response_model=ImagePublic)
async def transform_image(
    image_id: str, body: TransformRequest, key: GenerationKey, images: ImagesDep, base_url: BaseUrl
) -> Any:
    """A new image with the same name: converted (`format`), resized (`width`, `height`: one keeps the
    proportions, both crop to cover), or recompressed (`quality`). The original stays. A transform is an
    image: it counts against the month's quota and the generation requests a minute."""
    change = Transform(**body.model_dump())
    return ImagePublic.of(await in_thread(images.transform, key, image_id, change), base_url)
