"""The Image and the Job as both edges show them (docs/api.md §6): the API's answers, a webhook's `data`,
and the dashboard's pages and their live script."""

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, PlainSerializer

from sfumato.domain.images import Image
from sfumato.domain.loras import Lora
from sfumato.services.views import JobView


def iso_z(value: datetime) -> str:
    """`2026-01-31T12:00:00Z`: UTC, to the second (isoformat: half strftime's cost, on every poll)."""
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.isoformat(timespec="seconds")[:19] + "Z"


Timestamp = Annotated[datetime, PlainSerializer(iso_z, return_type=str)]


def public_url(image: Image, base_url: str) -> str | None:
    return f"{base_url}/p/{image.public_token}.{image.format}" if image.public_token else None


def access_url(image: Image, base_url: str) -> str:
    """The key-free address of an image until it expires: what the hosted dialects call its `url`."""
    return f"{base_url}/i/{image.access_token}.{image.format}"


class ImagePublic(BaseModel):
    id: str
    object: Literal["image"] = "image"
    name: str
    url: str | None = Field(description="public address; null until the image is published")
    width: int
    height: int
    format: str
    size: int = Field(description="bytes")
    created_at: Timestamp
    expires_at: Timestamp
    prompt: str
    negative_prompt: str | None
    seed: int
    model: str
    style: str | None
    job_id: str | None
    source_image_id: str | None = Field(
        None, description="the key's image this one was made from (image-to-image, inpainting, edits)"
    )

    @classmethod
    def of(cls, image: Image, base_url: str) -> "ImagePublic":
        return cls(
            id=image.id,
            name=image.name,
            url=public_url(image, base_url),
            width=image.width,
            height=image.height,
            format=image.format,
            size=image.size,
            created_at=image.created_at,
            expires_at=image.expires_at,
            prompt=image.prompt,
            negative_prompt=image.negative_prompt,
            seed=image.seed,
            model=image.model,
            style=image.style,
            job_id=image.job_id,
            source_image_id=image.source_image_id,
        )


class JobError(BaseModel):
    code: str
    message: str


class JobPublic(BaseModel):
    id: str
    object: Literal["job"] = "job"
    status: Literal["queued", "processing", "succeeded", "failed", "canceled"]
    created_at: Timestamp
    started_at: Timestamp | None
    completed_at: Timestamp | None
    progress: float = Field(ge=0, le=1)
    params: dict[str, Any] = Field(description="the request with every default filled in, seed included")
    images: list[ImagePublic]
    error: JobError | None
    warnings: list[str] = Field(
        description="what the job does not do as asked: text beyond the encoders' 77 tokens, a negative "
        "prompt without guidance; while it is queued, that no live worker serves its model (it waits for one)"
    )
    queue_position: int | None = Field(
        None, description="while queued: the jobs that run before it (0: the next); null in lists"
    )
    estimated_start_at: Timestamp | None = Field(
        None, description="while queued: when it may start, at the rate jobs started in the last minute"
    )

    @classmethod
    def of(cls, view: JobView, base_url: str) -> "JobPublic":
        job = view.job
        error = JobError(code=job.error_code, message=job.error_message or "") if job.error_code else None
        # The engine's findings once it ran; until then what the parameters alone tell.
        warnings = job.warnings if job.warnings is not None else job.params.notes()
        if view.waiting:
            warnings = [*warnings, view.waiting]
        return cls(
            id=job.id,
            status=job.status,
            created_at=job.created_at,
            started_at=job.started_at,
            completed_at=job.completed_at,
            progress=job.progress,
            params=job.params.public(),
            images=[ImagePublic.of(image, base_url) for image in view.images],
            error=error,
            warnings=warnings,
            queue_position=view.place.position if view.place else None,
            estimated_start_at=view.place.estimated_start_at if view.place else None,
        )


def job_json(view: JobView, base_url: str) -> dict[str, Any]:
    """The Job as GET /v1/jobs/{id} shows it: what a webhook's `data` carries."""
    return JobPublic.of(view, base_url).model_dump(mode="json")


class LoraPublic(BaseModel):
    """A LoRA adapter (docs/api.md §16), as the API, the dashboard and `sfumato loras add --json` show it."""

    id: str
    object: Literal["lora"] = "lora"
    name: str
    family: str = Field(description="the model family its modules fit: sdxl, flux or sd3")
    base_model: str | None = Field(description="the model its metadata says it was made on, if it says")
    rank: int
    size: int = Field(description="bytes")
    modules: dict[str, int] = Field(
        description="per component (unet, text_encoder, …), the modules it touches"
    )
    trigger_words: list[str]
    shared: bool = Field(description="the operator's, usable by every key")
    created_at: Timestamp

    @classmethod
    def of(cls, lora: Lora) -> "LoraPublic":
        return cls(
            id=lora.id,
            name=lora.name,
            family=lora.family,
            base_model=lora.base_model,
            rank=lora.rank,
            size=lora.size,
            modules=lora.modules,
            trigger_words=lora.trigger_words,
            shared=lora.shared,
            created_at=lora.created_at,
        )
