"""A job's end as a synchronous answer sees it: its images, or the error that says why not.

Shared by imagine and the synchronous dialects (sync style, OpenAI), which all wait for a job.
"""

from fastapi import Response

from sfumato.domain.errors import Conflict, GenerationFailed, Overloaded
from sfumato.domain.generation import GenerationRequest
from sfumato.domain.idempotency import Idempotency
from sfumato.domain.images import Image
from sfumato.domain.jobs import JobStatus
from sfumato.domain.keys import ApiKey
from sfumato.http.threads import in_thread
from sfumato.services.generation import GenerationService
from sfumato.services.views import JobView


def images_of_ended(view: JobView) -> list[Image] | None:
    """The images of a job that succeeded; None while it runs; an error if it failed or was canceled."""
    if view.status is JobStatus.SUCCEEDED:
        return view.images
    if view.status is JobStatus.FAILED:
        raise GenerationFailed(f"generation failed: {view.job.error_message or view.job.error_code}")
    if view.status is JobStatus.CANCELED:
        raise Conflict(f"job {view.job.id} was canceled", code="job_canceled")
    return None


def replayed_header(view: JobView, response: Response) -> None:
    """Say so when the answer is the one an earlier request with the same Idempotency-Key got."""
    if view.replayed:
        response.headers["Idempotent-Replayed"] = "true"


async def generate_and_wait(
    generation: GenerationService,
    key: ApiKey,
    request: GenerationRequest,
    idempotency: Idempotency | None,
    response: Response,
    *,
    seconds: float,
    alpha_mask: bool = False,
    ignored_images: int = 0,
) -> list[Image]:
    """Submit (or find the job of an earlier try), wait up to `seconds` (SFUMATO_MAX_WAIT_SECONDS), answer
    the images. `alpha_mask` and `ignored_images`: as GenerationService.submit takes them (OpenAI's edits)."""
    view = await in_thread(
        generation.submit,
        key,
        request,
        idempotency,
        alpha_mask=alpha_mask,
        ignored_images=ignored_images,
    )
    replayed_header(view, response)
    images = images_of_ended(await generation.wait(key, view.job.id, seconds))
    if images is None:
        raise Overloaded(
            f"the image was not ready within {seconds:g} s; the job {view.job.id} goes on",
            retry_after=30,
            code="generation_timeout",
        )
    return images
