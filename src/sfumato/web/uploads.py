"""A form that carries files (the studio's image and mask, a PNG dropped to read its parameters): its fields
once its CSRF token is checked, as every form's are (web/pages.py), and its files' bytes, each bounded."""

from dataclasses import dataclass

from fastapi import Request
from starlette.datastructures import UploadFile

from sfumato.domain import text
from sfumato.domain.errors import PayloadTooLarge
from sfumato.web.pages import FormRefused, Page

FILES = ("image", "mask", "file")  # the names a dashboard form's files may have


@dataclass(frozen=True)
class Upload:
    fields: dict[str, str]
    files: dict[str, bytes]  # a name, the bytes of the file chosen (an empty choice is left out)


async def read_upload(request: Request, page: Page, *, max_bytes: int) -> Upload:
    """The posted form; FormRefused without the session's CSRF token; PayloadTooLarge naming a file larger
    than `max_bytes`."""
    form = await request.form(max_files=len(FILES), max_fields=64)
    fields = {name: value for name, value in form.items() if isinstance(value, str)}
    if page.fresh or not page.session.valid(fields.get("csrf_token")):
        raise FormRefused()
    text.check(fields, "the form")
    files: dict[str, bytes] = {}
    for name, value in form.multi_items():
        if isinstance(value, UploadFile) and name in FILES and name not in files:
            data = await value.read(max_bytes + 1)
            if len(data) > max_bytes:
                raise PayloadTooLarge(f"{name} is larger than {max_bytes} bytes", param=name)
            if data:
                files[name] = data
    return Upload(fields, files)
