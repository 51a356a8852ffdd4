"""The gallery: a key's images, newest first, found by name; an image's page, and what can be done to it."""

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from sfumato.domain.credentials import Verdict
from sfumato.domain.errors import InvalidParameter, SfumatoError
from sfumato.domain.images import Image
from sfumato.http.deps import ImagesDep
from sfumato.http.objects import ImagePublic, access_url
from sfumato.http.threads import in_thread
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


async def _image_page(
    page: Page, images: ImageService, image_id: str, *, notice: str = "", status: int = 200
) -> Response:
    assert page.key is not None
    image = await in_thread(images.get, page.key, image_id)
    named = await in_thread(images.list_images, page.key, name=image.name, limit=24, after=None)
    try:
        credentials: Verdict | None = await in_thread(images.verify, page.key, image_id)
    except SfumatoError:  # its file is gone or unreadable: the page still shows the rest
        credentials = None
    context = {
        "title": image.name,
        "image": shown(page, image),
        "credentials": credentials,
        "same_name": [shown(page, other) for other in named.items if other.id != image.id],
        "notice": notice,
        "notice_kind": "error" if status >= 400 else "ok",
    }
    return page.render("image.html", context, status=status, active="/gallery")


@router.get("/gallery/{image_id}")
async def image_page(image_id: str, page: SignedIn, images: ImagesDep) -> Response:
    return await _image_page(page, images, image_id)


@router.post("/gallery/{image_id}/publish")
async def publish(image_id: str, page: SignedIn, _form: Form, images: ImagesDep) -> Response:
    assert page.key is not None
    await in_thread(images.publish, page.key, image_id)
    return page.redirect(f"/gallery/{image_id}")


@router.post("/gallery/{image_id}/unpublish")
async def unpublish(image_id: str, page: SignedIn, _form: Form, images: ImagesDep) -> Response:
    assert page.key is not None
    await in_thread(images.unpublish, page.key, image_id)
    return page.redirect(f"/gallery/{image_id}")


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
async def transform(image_id: str, page: SignedIn, form: Form, images: ImagesDep) -> Response:
    assert page.key is not None
    try:
        made = await in_thread(images.transform, page.key, image_id, transform_of(form))
    except InvalidParameter as error:
        return await _image_page(page, images, image_id, notice=error.message, status=400)
    return page.redirect(f"/gallery/{made.id}")


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
    return page.redirect("/gallery")
