"""The studio: one page to make images, the form beside its result (docs/dashboard.md, "The studio").

Its script posts the form with `Accept: application/json` and follows the job in place; without a script the
same form posts as any other and lands on the job's page. Either way an error names its field."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from sfumato.domain.errors import NotFound, SfumatoError
from sfumato.domain.plans import PlanBook
from sfumato.domain.styles import STYLES
from sfumato.http.deps import AccessDep, FleetDep, GenerationDep, ImagesDep, LorasDep, PlansDep
from sfumato.http.errors import error_response, status_of
from sfumato.http.objects import job_json
from sfumato.http.threads import in_thread
from sfumato.services.access import Access
from sfumato.services.fleet import Fleet
from sfumato.services.generation import GenerationService
from sfumato.services.images import ImageService
from sfumato.services.loras import LoraService
from sfumato.web.choices import lora_choices, lora_rows, model_choices
from sfumato.web.pages import AnyPage, Page, SignedIn
from sfumato.web.retry import with_retry_after
from sfumato.web.routes.gallery import shown
from sfumato.web.studio_form import defaults, form_of_params, request_of
from sfumato.web.uploads import read_upload

router = APIRouter()
FORM_WIDE = "form"  # where an error that names no field shows: above the form


async def _studio(
    page: Page,
    generation: GenerationService,
    fleet: Fleet,
    images: ImageService,
    plans: PlanBook,
    loras: LoraService,
    form: dict[str, Any],
    *,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    assert page.key is not None
    limits = plans.limits_of(page.key)
    quota = "no monthly limit" if limits.monthly_images is None else f"{limits.monthly_images} images a month"
    models = await model_choices(generation, fleet, limits)
    source = None
    if form.get("image_id"):
        try:
            source = shown(page, await in_thread(images.get, page.key, str(form["image_id"])))
        except NotFound:  # gone since: the form goes on without it
            form["image_id"] = ""
    context = {
        "title": "Studio",
        "form": form,
        "models": models,
        "model": next((m for m in models if m.name == form["model"]), models[0]),
        "loras": await lora_choices(loras, page.key),
        "lora_rows": lora_rows(limits),
        "styles": list(STYLES),
        "most_images": limits.max_images_per_request,
        "usage_line": f"{limits.plan} plan: {limits.requests_per_minute} requests a minute, {quota}",
        "source": source,
        "errors": errors or {},
        "wide": True,
    }
    return page.render("studio.html", context, status=status, active="/studio")


@router.get("/playground")
async def playground(page: AnyPage) -> Response:
    """Where the studio was: old links and bookmarks still land on it."""
    query = page.request.url.query
    return page.redirect("/studio" + (f"?{query}" if query else ""))


@router.get("/studio")
async def studio(
    page: SignedIn,
    generation: GenerationDep,
    fleet: FleetDep,
    images: ImagesDep,
    plans: PlansDep,
    loras: LorasDep,
    job: str | None = None,
    settings: str | None = None,
    use_input: Annotated[str | None, Query(alias="input")] = None,
) -> Response:
    """A fresh form; `job`: a job's parameters; `settings`: an image's ("Use these settings"), its own seed;
    `input`: one of the key's images as the input."""
    assert page.key is not None
    models = await model_choices(generation, fleet, plans.limits_of(page.key))
    form = defaults(models[0])
    if job:
        view = await in_thread(generation.get, page.key, job)
        form |= form_of_params(view.job.params)
    if settings:
        image = await in_thread(images.get, page.key, settings)
        if image.job_id is not None:
            made = await in_thread(generation.get, page.key, image.job_id)
            form |= form_of_params(made.job.params, seed=image.seed, n=1)
    if use_input:
        form["image_id"] = (await in_thread(images.get, page.key, use_input)).id
    if form["model"] not in {model.name for model in models}:
        form["model"] = models[0].name
    return await _studio(page, generation, fleet, images, plans, loras, form)


@router.post("/studio")
async def generate(
    request: Request,
    page: SignedIn,
    generation: GenerationDep,
    fleet: FleetDep,
    images: ImagesDep,
    access: AccessDep,
    plans: PlansDep,
    loras: LorasDep,
) -> Response:
    assert page.key is not None
    wants_json = "application/json" in request.headers.get("accept", "")
    fields: dict[str, str] = {}
    try:
        upload = await read_upload(request, page, max_bytes=generation.inputs.limits.max_bytes)
        fields = upload.fields
        generating = request_of(fields, upload.files)
        await in_thread(access.count, page.key, Access.GENERATE)  # as the API counts
        view = await in_thread(generation.submit, page.key, generating)
    except SfumatoError as error:
        if wants_json:
            return error_response(error)
        models = await model_choices(generation, fleet, plans.limits_of(page.key))
        form = defaults(models[0]) | {name: value for name, value in fields.items() if name != "csrf_token"}
        form["random_seed"] = bool(fields.get("random_seed"))
        errors = {error.param or FORM_WIDE: error.message}
        refused = await _studio(
            page, generation, fleet, images, plans, loras, form, errors=errors, status=status_of(error)[0]
        )
        return with_retry_after(refused, error)
    if wants_json:
        job = job_json(view, page.base_url)
        return JSONResponse(
            {"job": job, "events": f"/v1/jobs/{job['id']}/events", "page": f"/jobs/{job['id']}"}, 202
        )
    return page.redirect(f"/jobs/{view.job.id}")
