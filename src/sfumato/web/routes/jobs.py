"""A key's jobs: the list (with thumbnails, found by words of their prompt or name, by model and by status),
and a job's page, which follows it live and then shows its images."""

import json
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from sfumato.domain.errors import NotFound
from sfumato.domain.jobs import JobStatus
from sfumato.http.deps import FleetDep, GenerationDep, ImagesDep, PlansDep
from sfumato.http.objects import JobPublic, access_url
from sfumato.http.threads import in_thread
from sfumato.services.views import JobView
from sfumato.web.choices import model_choices
from sfumato.web.pages import Form, Page, SignedIn
from sfumato.web.routes.gallery import shown
from sfumato.web.snippets import request_body, snippets
from sfumato.web.times import parsed

router = APIRouter()


def waiting_text(job: dict[str, Any]) -> str:
    """A queued job's place in words (static/js/follow.js writes the same from the `queued` events)."""
    if job["queue_position"] is None:
        return "Waiting for a worker"
    ahead = job["queue_position"]
    text = (
        "Next in the queue" if ahead == 0 else f"{ahead} job{'s' if ahead > 1 else ''} before it in the queue"
    )
    if job["estimated_start_at"]:
        moment = parsed(job["estimated_start_at"])
        by = moment.strftime("%H:%M:%S UTC") if moment else job["estimated_start_at"]
        text += f"; expected to start by {by}"
    return text


def job_context(page: Page, view: JobView) -> dict[str, Any]:
    job = JobPublic.of(view, page.base_url).model_dump(mode="json")
    for public, image in zip(job["images"], view.images, strict=True):
        public["src"] = access_url(image, page.base_url)
    total = view.job.params.steps_to_run()
    done = round(view.job.progress * total)
    params = view.job.params
    again = {name: value for name, value in request_body(params).items() if name != "seed"}
    if params.source_image_id is not None:  # from the same image (its mask, sent once, is not kept)
        again |= {"image_id": params.source_image_id, "strength": params.strength}
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
async def job_page(job_id: str, page: SignedIn, generation: GenerationDep, images: ImagesDep) -> Response:
    assert page.key is not None
    view = await in_thread(generation.get, page.key, job_id)
    context = job_context(page, view)
    source_id = view.job.params.source_image_id
    try:
        context["source"] = (
            shown(page, await in_thread(images.get, page.key, source_id)) if source_id else None
        )
    except NotFound:  # made from an image deleted since
        context["source"] = None
    return page.render("job.html", context, active="/jobs")


@router.post("/jobs/{job_id}/cancel")
async def cancel(job_id: str, page: SignedIn, _form: Form, generation: GenerationDep) -> Response:
    assert page.key is not None
    await in_thread(generation.cancel, page.key, job_id)
    return page.redirect(f"/jobs/{job_id}")


@router.get("/jobs")
async def jobs(
    page: SignedIn,
    generation: GenerationDep,
    fleet: FleetDep,
    plans: PlansDep,
    after: str | None = None,
    q: str = "",
    model: str = "",
    status: str = "",
) -> Response:
    assert page.key is not None
    chosen = JobStatus(status) if status in {s.value for s in JobStatus} else None
    listed = await in_thread(
        generation.list_jobs,
        page.key,
        limit=25,
        after=after,
        status=chosen,
        model=model if model in generation.catalogue else None,
        search=q[:200],
    )
    shown_jobs = []
    for view in listed.items:
        public = JobPublic.of(view, page.base_url).model_dump(mode="json")
        first = view.images[0] if view.images else None
        public["thumbnail"] = access_url(first, page.base_url) if first else None
        shown_jobs.append(public)
    choices = await model_choices(generation, fleet, plans.limits_of(page.key))
    filters = {"q": q[:200], "model": model, "status": chosen.value if chosen else ""}
    context = {
        "title": "Jobs",
        "jobs": shown_jobs,
        "next_cursor": listed.next_cursor,
        "filters": filters,
        "filtering": any(filters.values()),
        "models": [choice.name for choice in choices],
        "statuses": [s.value for s in JobStatus],
    }
    return page.render("jobs.html", context, active="/jobs")
