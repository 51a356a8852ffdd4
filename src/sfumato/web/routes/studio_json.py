"""What the studio's script asks of the server as it goes, in JSON: a prompt's length in tokens, a dropped
PNG's parameters, and a job's result (its images and their pages) once it has ended."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from sfumato.domain.errors import SfumatoError
from sfumato.domain.rules import MAX_PROMPT
from sfumato.http.deps import FleetDep, GenerationDep, PlansDep, TokensDep
from sfumato.http.errors import error_response
from sfumato.http.objects import access_url
from sfumato.http.threads import in_thread
from sfumato.imaging.infotext import text_chunks
from sfumato.services.views import JobView
from sfumato.web.choices import model_choices
from sfumato.web.pages import Page, SignedIn
from sfumato.web.studio_form import form_of_png
from sfumato.web.uploads import read_upload

router = APIRouter()


@router.get("/studio/tokens")
async def tokens(page: SignedIn, counter: TokensDep, model: str, text: str = "") -> Response:
    """{"tokens", "limit"}: the text's tokens as the model's tokenizer counts them, and how many its text
    encoder reads; both null when this server has no tokenizer for the model."""
    try:
        count = await in_thread(counter.count, model, text[: MAX_PROMPT * 2])
    except SfumatoError as error:
        return error_response(error)
    return JSONResponse({"tokens": count.tokens, "limit": count.limit})


@router.post("/studio/png")
async def png_parameters(
    request: Request, page: SignedIn, generation: GenerationDep, fleet: FleetDep, plans: PlansDep
) -> Response:
    """The form values a dropped PNG carries: {"source": "Sfumato" | "AUTOMATIC1111", "fields"}, or
    {"source": null} when it carries none."""
    assert page.key is not None
    limits = generation.inputs.limits
    try:
        upload = await read_upload(request, page, max_bytes=limits.max_bytes)
    except SfumatoError as error:
        return error_response(error)
    data = upload.files.get("file", b"")
    chunks = await in_thread(text_chunks, data, max_pixels=limits.max_pixels)
    models = await model_choices(generation, fleet, plans.limits_of(page.key))
    found = form_of_png(chunks, models)
    return JSONResponse(found or {"source": None, "fields": {}})


def result(page: Page, view: JobView) -> dict[str, Any]:
    """A job as its page and the studio show it: its state, then its images and where each one's page is."""
    job, steps = view.job, view.job.params.steps_to_run()
    return {
        "id": job.id,
        "status": job.status.value,
        "progress": job.progress,
        "step": round(job.progress * steps),
        "steps": steps,
        "mode": job.params.mode,
        "strength": job.params.strength,
        "error": {"code": job.error_code, "message": job.error_message or ""} if job.error_code else None,
        "warnings": job.warnings if job.warnings is not None else job.params.notes(),
        "images": [
            {
                "id": image.id,
                "src": access_url(image, page.base_url),
                "alt": image.prompt,
                "width": image.width,
                "height": image.height,
                "seed": image.seed,
                "format": image.format,
                "page": f"/gallery/{image.id}",
            }
            for image in view.images
        ],
    }


@router.get("/jobs/{job_id}/input.png")
@router.get("/jobs/{job_id}/mask.png")
async def job_input(job_id: str, request: Request, page: SignedIn, generation: GenerationDep) -> Response:
    """The picture a job started from, or the mask painted on it (its page shows them)."""
    assert page.key is not None
    mask = request.url.path.endswith("/mask.png")
    try:
        data = await in_thread(generation.input_of, page.key, job_id, mask=mask)
    except SfumatoError as error:
        return error_response(error)
    return Response(data, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})


@router.get("/jobs/{job_id}/result")
async def job_result(job_id: str, page: SignedIn, generation: GenerationDep) -> Response:
    assert page.key is not None
    try:
        view = await in_thread(generation.get, page.key, job_id)
    except SfumatoError as error:
        return error_response(error)
    return JSONResponse(result(page, view))
