"""The job-style dialect (API.md §8): `POST /api/v1/image`, then poll `GET /api/v1/image/{job_id}`.

Its clients send `x-api-key` and `{"seed", "width", "height", "prompt", "negative_prompt"}`, get 201
`{"job_id", "status": "processing"}`, and poll until `completed` (with `image_url`) or `failed`.
"""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, Field

from sfumato.api.deps import (
    BaseUrl,
    CurrentKey,
    Fingerprint,
    GenerationKey,
    ServicesDep,
    idempotency,
    in_thread,
)
from sfumato.api.outcome import replayed_header
from sfumato.api.schemas import Timestamp, access_url
from sfumato.domain.generation import GenerationRequest
from sfumato.domain.jobs import JobStatus
from sfumato.services.generation import JobView

router = APIRouter(prefix="/api/v1/image", tags=["job style"])

_STATUS = {
    JobStatus.QUEUED: "processing",
    JobStatus.PROCESSING: "processing",
    JobStatus.SUCCEEDED: "completed",
    JobStatus.FAILED: "failed",
    JobStatus.CANCELED: "failed",
}


class JobStyleRequest(GenerationRequest):
    """The native parameters (§5), read leniently as the hosted API did: fields it does not know are
    ignored, and numbers may come as strings."""

    model_config = ConfigDict(extra="ignore", strict=False)


class JobStyleAccepted(BaseModel):
    job_id: str
    status: Literal["processing"] = "processing"


class JobStyleStatus(BaseModel):
    job_id: str
    status: Literal["processing", "completed", "failed"]
    image_url: str | None = Field(description="a key-free URL of the first image, until it expires")
    image_urls: list[str] = Field(description="every image's URL, for n > 1")
    progress: float
    seed: int
    width: int
    height: int
    created_at: Timestamp
    completed_at: Timestamp | None
    error: str | None

    @classmethod
    def of(cls, view: JobView, base_url: str) -> "JobStyleStatus":
        job = view.job
        urls = [access_url(image, base_url) for image in view.images]
        failed = view.status in (JobStatus.FAILED, JobStatus.CANCELED)
        return cls(
            job_id=job.id,
            status=_STATUS[view.status],
            image_url=urls[0] if urls else None,
            image_urls=urls,
            progress=job.progress,
            seed=job.params["seed"],
            width=job.params["width"],
            height=job.params["height"],
            created_at=job.created_at,
            completed_at=job.completed_at,
            error=(job.error_message or job.error_code or view.status.value) if failed else None,
        )


class JobStyleDeleted(BaseModel):
    job_id: str
    deleted: Literal[True] = True


@router.post("", status_code=201, response_model=JobStyleAccepted)
async def create(
    body: JobStyleRequest,
    key: GenerationKey,
    services: ServicesDep,
    response: Response,
    idempotency: Annotated[Fingerprint, Depends(idempotency("job-style"))],
) -> Any:
    """Queue a generation; poll GET /api/v1/image/{job_id} for its image."""
    view = await in_thread(services.generation.submit, key, body, idempotency(body))
    replayed_header(view, response)
    return JobStyleAccepted(job_id=view.job.id)


@router.get("/{job_id}", response_model=JobStyleStatus)
async def status(job_id: str, key: CurrentKey, services: ServicesDep, base_url: BaseUrl) -> Any:
    return JobStyleStatus.of(await in_thread(services.generation.get, key, job_id), base_url)


@router.delete("/{job_id}", response_model=JobStyleDeleted)
async def remove(job_id: str, key: CurrentKey, services: ServicesDep) -> Any:
    """Remove the job and its images (a running job stops at its next step)."""
    await in_thread(services.generation.delete, key, job_id)
    return JobStyleDeleted(job_id=job_id)
