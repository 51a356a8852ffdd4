"""The gallery: a key's images, newest first, found by name; an image's page, and what can be done to it."""

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from sfumato.domain.credentials import Verdict
from sfumato.domain.errors import InvalidParameter, NotFound, SfumatoError
from sfumato.domain.images import Image
from sfumato.domain.naming import lineage
from sfumato.domain.params import JobParams
from sfumato.http.deps import GenerationDep, ImagesDep
from sfumato.http.objects import ImagePublic, access_url
from sfumato.http.threads import in_thread
from sfumato.services.generation import GenerationService
from sfumato.services.images import ImageService, Transform
from sfumato.web.forms import whole_number
from sfumato.web.pages import Form, Page, SignedIn

router = APIRouter()


def shown(page: Page, image: Image) -> dict[str, Any]:
    """An image as a page shows it: its public fields, and where the browser loads it from."""
    return ImagePublic.of(image, page.base_url).model_dump(mode="json") | {
        "src": access_url(image, page.base_url)
    }


@router.get("/gallery")
async def gallery(
    page: SignedIn, images: ImagesDep, name: str | None = None, after: str | None = None
) -> Response:
    assert page.key is not None
    name = name.strip()[:200] if name and name.strip() else None
    listed = await in_thread(images.list_images, page.key, name=name, limit=24, after=after)
    context = {
        "title": "Gallery",
        "images": [shown(page, image) for image in listed.items],
        "name": name,
        "next_cursor": listed.next_cursor,
    }
    return page.render("gallery.html", context, active="/gallery")


async def _params_of(page: Page, generation: GenerationService, image: Image) -> JobParams | None:
    """The parameters of the job that made the image (None once that job is gone)."""
    assert page.key is not None
    if image.job_id is None:
        return None
    try:
        return (await in_thread(generation.get, page.key, image.job_id)).job.params
    except NotFound:
        return None


def same_name(image: Image, params: JobParams | None, named: list[Image]) -> list[Image]:
    """ "The same name": every image of a name a person gave; of a name nobody chose (the prompt's first
    words), only the images this one descends from or that descend from it."""
    if params is not None and params.person_named():
        return [other for other in named if other.id != image.id]
    return lineage(image, named)


async def _image_page(
    page: Page,
    images: ImageService,
    generation: GenerationService,
    image_id: str,
    *,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    assert page.key is not None
    image = await in_thread(images.get, page.key, image_id)
    named = await in_thread(images.list_images, page.key, name=image.name, limit=24, after=None)
    params = await _params_of(page, generation, image)
    try:
        credentials: Verdict | None = await in_thread(images.verify, page.key, image_id)
    except SfumatoError:  # its file is gone or unreadable: the page still shows the rest
        credentials = None
    context = {
        "title": image.name,
        "image": shown(page, image),
        "params": params,
        "adapters": (params.public().get("loras") or []) if params is not None else [],
        "credentials": credentials,
        "same_name": [shown(page, other) for other in same_name(image, params, named.items)],
        "errors": errors or {},
    }
    return page.render("image.html", context, status=status, active="/gallery")


@router.get("/gallery/{image_id}")
async def image_page(image_id: str, page: SignedIn, images: ImagesDep, generation: GenerationDep) -> Response:
    return await _image_page(page, images, generation, image_id)


@router.post("/gallery/{image_id}/publish")
async def publish(image_id: str, page: SignedIn, _form: Form, images: ImagesDep) -> Response:
    assert page.key is not None
    await in_thread(images.publish, page.key, image_id)
    return page.redirect(f"/gallery/{image_id}?done=published")


@router.post("/gallery/{image_id}/unpublish")
async def unpublish(image_id: str, page: SignedIn, _form: Form, images: ImagesDep) -> Response:
    assert page.key is not None
    await in_thread(images.unpublish, page.key, image_id)
    return page.redirect(f"/gallery/{image_id}?done=unpublished")


def transform_of(form: dict[str, str]) -> Transform:
    values: dict[str, Any] = {}
    if form.get("format"):
        if form["format"] not in ("png", "jpeg", "webp"):
            raise InvalidParameter("format must be png, jpeg or webp", param="format")
        values["format"] = form["format"]
    for name, low, high in (("width", 16, 2048), ("height", 16, 2048), ("quality", 1, 100)):
        if (number := whole_number(form, name, low, high)) is not None:
            values[name] = number
    return Transform(**values)


@router.post("/gallery/{image_id}/transform")
async def transform(
    image_id: str, page: SignedIn, form: Form, images: ImagesDep, generation: GenerationDep
) -> Response:
    assert page.key is not None
    try:
        made = await in_thread(images.transform, page.key, image_id, transform_of(form))
    except InvalidParameter as error:
        errors = {error.param or "transform": error.message}
        return await _image_page(page, images, generation, image_id, errors=errors, status=400)
    return page.redirect(f"/gallery/{made.id}?done=transformed")


@router.get("/gallery/{image_id}/delete")
async def confirm_delete(image_id: str, page: SignedIn, images: ImagesDep) -> Response:
    assert page.key is not None
    image = await in_thread(images.get, page.key, image_id)
    return page.render(
        "confirm_delete.html", {"title": "Delete", "image": shown(page, image)}, active="/gallery"
    )


@router.post("/gallery/{image_id}/delete")
async def delete(image_id: str, page: SignedIn, _form: Form, images: ImagesDep) -> Response:
    assert page.key is not None
    await in_thread(images.delete, page.key, image_id)
    return page.redirect("/gallery?done=deleted")
