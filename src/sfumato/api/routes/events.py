"""A job as Server-Sent Events (docs/api.md §13): `progress` as it moves, `queued` as its place in the queue
moves, then exactly one of `succeeded`, `failed` or `canceled` with the Job, and the stream ends; a process
that is stopping ends it with a `retry:` and no event, and the client reconnects. It follows the job
wherever its worker runs (the progress is read from the database); a client that goes away stops only its
own stream."""

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.sse import EventSourceResponse, ServerSentEvent
from pydantic import BaseModel, Field

from sfumato.api.schemas import SSE_CONTENT
from sfumato.domain.errors import NotFound
from sfumato.http.access import WatchingKey
from sfumato.http.deps import BaseUrl, GenerationDep, WatchesDep
from sfumato.http.errors import envelope
from sfumato.http.objects import JobPublic, Timestamp
from sfumato.http.threads import in_thread
from sfumato.services.views import JobView

router = APIRouter(tags=["generation"])
RECONNECT_MS = 1000  # the `retry:` of a stream ended by a stopping process


class ProgressEvent(BaseModel):
    step: int = Field(description="denoising steps done")
    steps: int = Field(description="denoising steps the job runs")
    progress: float = Field(ge=0, le=1)
    preview: str | None = Field(
        None,
        description="a small PNG (base64) of the first image as it stands, when the job asked for `previews`",
    )
    job: JobPublic


class QueuedEvent(BaseModel):
    queue_position: int = Field(ge=0, description="the jobs that run before it; 0: the next")
    estimated_start_at: Timestamp | None = Field(description="when it may start; null: no recent rate")
    job: JobPublic


async def existing(job_id: str, key: WatchingKey, generation: GenerationDep) -> JobView:
    """The job, before the stream starts: another key's, or none, is 404 as on GET /v1/jobs/{id}."""
    return await in_thread(generation.get, key, job_id)


async def stream_slot(
    key: WatchingKey, watches: WatchesDep, _job: Annotated[JobView, Depends(existing)]
) -> AsyncIterator[None]:
    """One of the key's open streams (its plan's `max_streams`: 429 past them), held until the stream ends."""
    with watches.stream_of(key):
        yield


def progress_event(view: JobView, base_url: str) -> ProgressEvent:
    steps = view.job.params.steps_to_run()
    return ProgressEvent(
        step=round(view.job.progress * steps),
        steps=steps,
        progress=view.job.progress,
        preview=view.job.preview if view.job.params.previews else None,
        job=JobPublic.of(view, base_url),
    )


EVENTS = {
    200: {
        "description": "`event: progress` with a ProgressEvent as it moves, `event: queued` with a "
        "QueuedEvent each time its place in the queue changes, then one `event: succeeded`, `failed` or "
        "`canceled` whose data is the Job; the stream then ends",
        "content": SSE_CONTENT,
    }
}


@router.get("/v1/jobs/{job_id}/events", response_class=EventSourceResponse, responses=EVENTS)  # type: ignore[arg-type]
async def job_events(
    job_id: str,
    key: WatchingKey,
    watches: WatchesDep,
    base_url: BaseUrl,
    _slot: Annotated[None, Depends(stream_slot)],
) -> AsyncIterator[ServerSentEvent]:
    """Follow a job: its progress, then its end. Also takes the dashboard's session instead of a key."""
    shown: tuple[str, float] | None = None
    first = True
    try:
        async for view in watches.watch(key, job_id, end_on_drain=True):
            if view.status.is_terminal():
                yield ServerSentEvent(event=view.status.value, data=JobPublic.of(view, base_url))
                return
            if (view.status, view.job.progress) != shown:
                shown = (view.status, view.job.progress)
                yield ServerSentEvent(event="progress", data=progress_event(view, base_url))
            # The first event's Job tells the place; watch yields a queued job again when its place moves.
            if view.place is not None and not first:
                place = view.place
                queued = QueuedEvent(
                    queue_position=place.position,
                    estimated_start_at=place.estimated_start_at,
                    job=JobPublic.of(view, base_url),
                )
                yield ServerSentEvent(event="queued", data=queued)
            first = False
        # This process is stopping: the client's EventSource reconnects (to another process) and goes on.
        yield ServerSentEvent(comment="the server is restarting; reconnect", retry=RECONNECT_MS)
    except NotFound:  # deleted while followed
        gone: dict[str, Any] = envelope(f"no job {job_id!r}: it was deleted", "not_found_error", "not_found")
        yield ServerSentEvent(event="error", data=gone)
