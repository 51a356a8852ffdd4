"""The job-style dialect's bodies."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from sfumato.domain.generation import GenerationRequest
from sfumato.http.objects import Timestamp


class JobStyleRequest(GenerationRequest):
    """The native parameters (docs/api.md §5), read leniently as the hosted API did: fields it does not
    know are ignored, and numbers may come as strings."""

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


class JobStyleDeleted(BaseModel):
    job_id: str
    deleted: Literal[True] = True
