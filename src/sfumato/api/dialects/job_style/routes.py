"""The job-style dialect's routes: submit, poll, delete."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response

from sfumato.api.deps import Fingerprint, idempotency
from sfumato.api.dialects.job_style.schemas import (
    JobStyleAccepted,
    JobStyleDeleted,
    JobStyleRequest,
    JobStyleStatus,
)
from sfumato.api.dialects.job_style.translate import status_answer
from sfumato.api.sync_answers import replayed_header
from sfumato.http.access import CurrentKey, GenerationKey
from sfumato.http.deps import BaseUrl, GenerationDep
from sfumato.http.threads import in_thread

router = APIRouter(prefix="/api/v1/image", tags=["job style"])


@router.post("", status_code=201, response_model=JobStyleAccepted)
async def create(
    body: JobStyleRequest,
    key: GenerationKey,
    generation: GenerationDep,
    response: Response,
    idempotency: Annotated[Fingerprint, Depends(idempotency("job-style"))],
) -> Any:
    """Queue a generation; poll GET /api/v1/image/{job_id} for its image."""
    view = await in_thread(generation.submit, key, body, idempotency(body))
    replayed_header(view, response)
    return JobStyleAccepted(job_id=view.job.id)


@router.get("/{job_id}", response_model=JobStyleStatus)
async def status(job_id: str, key: CurrentKey, generation: GenerationDep, base_url: BaseUrl) -> Any:
    return status_answer(await in_thread(generation.get, key, job_id), base_url)


@router.delete("/{job_id}", response_model=JobStyleDeleted)
async def remove(job_id: str, key: CurrentKey, generation: GenerationDep) -> Any:
    """Remove the job and its images (a running job stops at its next step)."""
    await in_thread(generation.delete, key, job_id)
    return JobStyleDeleted(job_id=job_id)
