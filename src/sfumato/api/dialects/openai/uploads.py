"""The pictures of OpenAI's edits and variations, as its clients send them: multipart/form-data with
`image` (one file), `image[]` (a list, even of one) or repeated `image` parts, and `mask`; every other
value a string. Newer clients may send edits as JSON, with pictures as `{"image_url": "data:…"}`.
Pictures are handed on as data: URLs, checked later like any other input (services.inputs)."""

import base64
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from starlette.datastructures import UploadFile

from sfumato.domain import text
from sfumato.domain.errors import InvalidParameter, MissingParameter, PayloadTooLarge

IMAGE_FIELDS = ("image", "image[]")


@dataclass(frozen=True)
class Upload:
    fields: dict[str, Any]  # the non-file values
    images: list[str]  # data: URLs, in the order sent
    mask: str | None


async def read_upload(request: Request, *, max_bytes: int) -> Upload:
    """Multipart or JSON; 400 naming the field when a picture is missing or not a file."""
    if request.headers.get("content-type", "").startswith("application/json"):
        return _from_json(await request.json())
    form = await request.form(max_files=16, max_fields=64)
    fields: dict[str, Any] = {}
    images: list[str] = []
    mask: str | None = None
    for name, value in form.multi_items():
        if name in IMAGE_FIELDS or name == "mask":
            if not isinstance(value, UploadFile):
                raise InvalidParameter(f"{name.rstrip('[]')} must be a file", param=name.rstrip("[]"))
            data_url = await _data_url(value, name.rstrip("[]"), max_bytes)
            if name == "mask":
                mask = data_url
            else:
                images.append(data_url)
        elif not isinstance(value, UploadFile):
            fields[name] = value
    text.check(fields)  # a form's text may carry a NUL, which no database column holds
    return Upload(fields, images, mask)


async def _data_url(file: UploadFile, field: str, max_bytes: int) -> str:
    data = await file.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise PayloadTooLarge(f"{field} is larger than {max_bytes} bytes", param=field)
    # The part's own content type is not trusted (clients send application/octet-stream): the bytes say.
    return "data:application/octet-stream;base64," + base64.b64encode(data).decode()


def _from_json(body: Any) -> Upload:
    if not isinstance(body, dict):
        raise InvalidParameter("the request body must be a JSON object")
    fields = {name: value for name, value in body.items() if name not in ("images", "image", "mask")}
    images = [_image_url(item, "images") for item in body.get("images") or []]
    mask = _image_url(body["mask"], "mask") if body.get("mask") is not None else None
    return Upload(fields, images, mask)


def _image_url(item: Any, field: str) -> str:
    url = item.get("image_url") if isinstance(item, dict) else None
    if not isinstance(url, str):
        raise InvalidParameter(
            f'{field} takes {{"image_url": "data:…"}}; file ids are not kept here', param=field
        )
    if not url.startswith("data:"):
        raise InvalidParameter(
            f"{field}: image_url must be a data: URL; this server fetches no addresses", param=field
        )
    return url


def first_image(upload: Upload, field: str = "image") -> str:
    if not upload.images:
        raise MissingParameter(f"{field} is required: a PNG, JPEG or WebP file", param=field)
    return upload.images[0]
