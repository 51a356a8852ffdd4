"""Generation on the native API: imagine (synchronous) and jobs (asynchronous). docs/api.md §7."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from sfumato.api.deps import Fingerprint, PreferDep, idempotency
from sfumato.api.prefer import Prefer
from sfumato.api.schemas import ImagineRequest, Limit, ListPublic
from sfumato.api.sync_answers import images_of_ended
from sfumato.config import Settings
from sfumato.domain.generation import GenerationRequest
from sfumato.domain.jobs import JobStatus
from sfumato.http.access import CurrentKey, GenerationKey
from sfumato.http.answers import answer
from sfumato.http.deps import BaseUrl, GenerationDep, SettingsDep
from sfumato.http.objects import ImagePublic, JobPublic
from sfumato.http.threads import in_thread
from sfumato.services.views import JobView

router = APIRouter(tags=["generation"])


def _accepted(view: JobView, base_url: str, prefer: Prefer, replayed: bool = False) -> Response:
    headers = {"Location": f"/v1/jobs/{view.job.id}"}
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    if applied := prefer.applied():
        headers["Preference-Applied"] = applied
    return answer(JobPublic.of(view, base_url), 202, headers)


def _wait_seconds(prefer: Prefer, settings: Settings, default: float) -> float:
    wanted = prefer.wait if prefer.wait is not None else default
    return min(float(wanted), settings.max_wait_seconds)


@router.post(
    "/v1/images/imagine",
    status_code=201,
    response_model=ImagePublic,
    responses={202: {"model": JobPublic, "description": "still generating: the job, and its Location"}},
)
async def imagine(
    body: ImagineRequest,
    key: GenerationKey,
    generation: GenerationDep,
    settings: SettingsDep,
    prefer: PreferDep,
    base_url: BaseUrl,
    idempotency: Annotated[Fingerprint, Depends(idempotency("imagine"))],
) -> Any:
    """Generate one image and answer with it (201); or with its job (202) under `Prefer: respond-async`,
    or when it outlasts the wait (`Prefer: wait=N`, default 60 s)."""
    view = await in_thread(generation.submit, key, body, idempotency(body))
    replayed = view.replayed
    if prefer.respond_async:
        return _accepted(view, base_url, prefer, replayed)
    timeout = _wait_seconds(prefer, settings, settings.default_wait_seconds)
    view = await generation.wait(key, view.job.id, timeout, end_on_drain=True)
    if images := images_of_ended(view):
        headers = {"Idempotent-Replayed": "true"} if replayed else None
        return answer(ImagePublic.of(images[0], base_url), 201, headers)
    return _accepted(view, base_url, prefer, replayed)


@router.post("/v1/jobs", status_code=202, response_model=JobPublic)
async def create_job(
    body: GenerationRequest,
    key: GenerationKey,
    generation: GenerationDep,
    settings: SettingsDep,
    prefer: PreferDep,
    base_url: BaseUrl,
    idempotency: Annotated[Fingerprint, Depends(idempotency("jobs"))],
) -> Any:
    """Queue a generation; answers 202 with the job at once, or after up to `Prefer: wait=N` seconds."""
    view = await in_thread(generation.submit, key, body, idempotency(body))
    replayed = view.replayed
    if prefer.wait and not prefer.respond_async:
        wait = _wait_seconds(prefer, settings, 0)
        view = await generation.wait(key, view.job.id, wait, end_on_drain=True)
    return _accepted(view, base_url, prefer, replayed)


@router.get("/v1/jobs", response_model=ListPublic[JobPublic])
async def list_jobs(
    key: CurrentKey,
    generation: GenerationDep,
    base_url: BaseUrl,
    limit: Limit = 20,
    after: str | None = None,
    status: JobStatus | None = None,
) -> Any:
    """This key's jobs, newest first."""
    page = await in_thread(generation.list_jobs, key, limit=limit, after=after, status=status)
    return answer(ListPublic[JobPublic].of(page, lambda view: JobPublic.of(view, base_url)))


@router.get("/v1/jobs/{job_id}", response_model=JobPublic)
async def get_job(job_id: str, key: CurrentKey, generation: GenerationDep, base_url: BaseUrl) -> Any:
    return answer(JobPublic.of(await in_thread(generation.get, key, job_id), base_url))


@router.post("/v1/jobs/{job_id}/cancel", response_model=JobPublic)
async def cancel_job(job_id: str, key: CurrentKey, generation: GenerationDep, base_url: BaseUrl) -> Any:
    """Cancel a queued or running job (at once; a running one stops at its next step).
    A job that has already ended is answered as it is."""
    return JobPublic.of(await in_thread(generation.cancel, key, job_id), base_url)
