"""The playground (a form that makes a job), and the jobs: a job's page follows it live, then its images."""

import json
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import ValidationError

from sfumato.domain.errors import SfumatoError
from sfumato.domain.generation import GenerationRequest
from sfumato.domain.models import ModelSpec
from sfumato.domain.plans import PlanBook
from sfumato.domain.rules import MAX_SEED
from sfumato.domain.styles import STYLES
from sfumato.http.deps import AccessDep, GenerationDep, PlansDep, SettingsDep
from sfumato.http.errors import status_of, validation_error
from sfumato.http.objects import JobPublic, access_url
from sfumato.http.threads import in_thread
from sfumato.services.access import Access
from sfumato.services.views import JobView
from sfumato.web.forms import decimal, whole_number
from sfumato.web.pages import Form, Page, SignedIn
from sfumato.web.retry import with_retry_after
from sfumato.web.snippets import request_body, snippets

router = APIRouter()

INTEGERS = ("width", "height", "steps", "n", "seed")


def _defaults(spec: ModelSpec) -> dict[str, Any]:
    return {
        "prompt": "",
        "negative_prompt": "",
        "style": "",
        "width": 512,
        "height": 512,
        "steps": spec.default_steps,
        "guidance_scale": spec.default_guidance_scale,
        "seed": "",
        "random_seed": True,
        "n": 1,
        "format": "png",
        "name": "",
    }


def _playground(
    page: Page, spec: ModelSpec, plans: PlanBook, form: dict[str, Any], *, notice: str = "", status: int = 200
) -> Response:
    assert page.key is not None
    limits = plans.limits_of(page.key)
    quota = "no monthly limit" if limits.monthly_images is None else f"{limits.monthly_images} images a month"
    context = {
        "title": "Playground",
        "form": form,
        "styles": list(STYLES),
        "model": spec,
        "most_images": limits.max_images_per_request,
        "usage_line": f"{limits.plan} plan: {limits.requests_per_minute} requests a minute, {quota}",
        "notice": notice,
        "notice_kind": "error" if notice else "",
    }
    return page.render("playground.html", context, status=status, active="/playground")


@router.get("/playground")
async def playground(
    page: SignedIn, generation: GenerationDep, settings: SettingsDep, plans: PlansDep
) -> Response:
    spec = generation.catalogue[settings.model]
    form = _defaults(spec)
    source = page.request.query_params.get("from")
    if source and page.key is not None:
        view = await in_thread(generation.get, page.key, source)
        body = request_body(view.job.params)
        form |= {name: value for name, value in body.items() if name in form} | {"random_seed": False}
    return _playground(page, spec, plans, form)


def request_of(fields: dict[str, str]) -> GenerationRequest:
    """The form as the one generation request; InvalidParameter naming the field a value does not fit."""
    values: dict[str, Any] = {}
    for name in ("prompt", "negative_prompt", "style", "format", "name"):
        if fields.get(name, "").strip():
            values[name] = fields[name]
    for name in INTEGERS:
        if name == "seed" and fields.get("random_seed"):
            continue
        if (number := whole_number(fields, name, 0, MAX_SEED)) is not None:  # the request checks its range
            values[name] = number
    if (guidance := decimal(fields, "guidance_scale")) is not None:
        values["guidance_scale"] = guidance
    values.setdefault("prompt", "")
    try:
        return GenerationRequest.model_validate(values)
    except ValidationError as error:
        raise validation_error([{**item, "loc": ("body", *item["loc"])} for item in error.errors()]) from None


@router.post("/playground")
async def generate(
    page: SignedIn,
    form: Form,
    generation: GenerationDep,
    access: AccessDep,
    settings: SettingsDep,
    plans: PlansDep,
) -> Response:
    assert page.key is not None
    key = page.key
    spec = generation.catalogue[settings.model]
    shown = _defaults(spec) | {name: value for name, value in form.items() if name != "csrf_token"}
    shown["random_seed"] = bool(form.get("random_seed"))
    try:
        request = request_of(form)
        await in_thread(access.count, key, Access.GENERATE)  # as the API counts
        view = await in_thread(generation.submit, key, request)
    except SfumatoError as error:
        field = f" ({error.param})" if error.param else ""
        refused = _playground(
            page, spec, plans, shown, notice=f"{error.message}{field}", status=status_of(error)[0]
        )
        return with_retry_after(refused, error)
    return page.redirect(f"/jobs/{view.job.id}")


def waiting_text(job: dict[str, Any]) -> str:
    """A queued job's place in words (static/js/job.js writes the same from the `queued` events)."""
    if job["queue_position"] is None:
        return "Waiting for a worker"
    ahead = job["queue_position"]
    text = (
        "Next in the queue" if ahead == 0 else f"{ahead} job{'s' if ahead > 1 else ''} before it in the queue"
    )
    if job["estimated_start_at"]:
        text += f"; expected to start by {job['estimated_start_at']}"
    return text


def job_context(page: Page, view: JobView) -> dict[str, Any]:
    job = JobPublic.of(view, page.base_url).model_dump(mode="json")
    for shown, image in zip(job["images"], view.images, strict=True):
        shown["src"] = access_url(image, page.base_url)
    total = view.job.params.steps_to_run()
    done = round(view.job.progress * total)
    again = {name: value for name, value in request_body(view.job.params).items() if name != "seed"}
    return {
        "title": f"Job {view.job.id}",
        "job": job,
        "ended": view.status.is_terminal(),
        "step_text": waiting_text(job) if view.status == "queued" else f"Step {done} of {total}",
        "again": {name: str(value) for name, value in again.items()},
        "snippets": snippets(view.job.params, page.base_url),
        "params_json": json.dumps(view.job.params.public(), indent=2, ensure_ascii=False),
    }


@router.get("/jobs/{job_id}")
async def job_page(job_id: str, page: SignedIn, generation: GenerationDep) -> Response:
    assert page.key is not None
    view = await in_thread(generation.get, page.key, job_id)
    return page.render("job.html", job_context(page, view), active="/jobs")


@router.post("/jobs/{job_id}/cancel")
async def cancel(job_id: str, page: SignedIn, _form: Form, generation: GenerationDep) -> Response:
    assert page.key is not None
    await in_thread(generation.cancel, page.key, job_id)
    return page.redirect(f"/jobs/{job_id}")


@router.get("/jobs")
async def jobs(page: SignedIn, generation: GenerationDep, after: str | None = None) -> Response:
    assert page.key is not None
    listed = await in_thread(generation.list_jobs, page.key, limit=25, after=after, status=None)
    shown = [JobPublic.of(view, page.base_url).model_dump(mode="json") for view in listed.items]
    context = {"title": "Jobs", "jobs": shown, "next_cursor": listed.next_cursor}
    return page.render("jobs.html", context, active="/jobs")
