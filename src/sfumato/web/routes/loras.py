"""The LoRA page: a key's adapters and the shared ones, an upload, a deletion (docs/dashboard.md)."""

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from sfumato.domain import text
from sfumato.domain.errors import InvalidParameter, SfumatoError
from sfumato.http.deps import LorasDep
from sfumato.http.errors import status_of
from sfumato.http.objects import LoraPublic
from sfumato.http.threads import in_thread
from sfumato.services.loras import LoraService
from sfumato.web.pages import Form, FormRefused, Page, SignedIn

router = APIRouter()


async def _page(
    page: Page, loras: LoraService, after: str | None, *, notice: str = "", status: int = 200
) -> Response:
    assert page.key is not None
    listed = await in_thread(loras.list_loras, page.key, limit=24, after=after)
    context = {
        "title": "LoRAs",
        "loras": [LoraPublic.of(lora).model_dump(mode="json") for lora in listed.items],
        "next_cursor": listed.next_cursor,
        "notice": notice,
        "notice_kind": "error" if status >= 400 else "ok",
    }
    return page.render("loras.html", context, status=status, active="/loras")


@router.get("/loras")
async def loras_page(page: SignedIn, loras: LorasDep, after: str | None = None) -> Response:
    return await _page(page, loras, after)


@router.post("/loras")
async def upload(request: Request, page: SignedIn, loras: LorasDep) -> Response:
    """The upload form: multipart, its CSRF token checked as every form's (web/pages.py)."""
    assert page.key is not None
    form = await request.form(max_files=1, max_fields=16)
    fields = {name: value for name, value in form.items() if isinstance(value, str)}
    if page.fresh or not page.session.valid(fields.get("csrf_token")):
        raise FormRefused()
    text.check(fields, "the form")
    file = form.get("file")
    try:
        if not isinstance(file, UploadFile) or not file.filename:
            raise InvalidParameter("choose a .safetensors file to upload", param="file")
        lora = await in_thread(
            loras.add,
            page.key,
            name=fields.get("name", "").strip(),
            source=file.file,
            trigger_words=fields.get("trigger_words", ""),
            family=fields.get("family") or None,
        )
    except SfumatoError as error:
        return await _page(page, loras, None, notice=error.message, status=status_of(error)[0])
    return await _page(page, loras, None, notice=f"Stored {lora.name} ({lora.family}, rank {lora.rank}).")


@router.post("/loras/{lora_id}/delete")
async def delete(lora_id: str, page: SignedIn, _form: Form, loras: LorasDep) -> Response:
    assert page.key is not None
    await in_thread(loras.delete, page.key, lora_id)
    return page.redirect("/loras")
