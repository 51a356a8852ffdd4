"""OpenAI's `stream: true` (docs/clients.md): Server-Sent Events as the official client's
`images.generate(stream=True)` and `images.edit(stream=True)` iterate them: up to `partial_images` events
`image_generation.partial_image` (`image_edit.…` for edits), previews of the image while it denoises, then one
`…completed` per image, with `b64_json`. They are read from the job's events (GenerationService.watch), so a
worker in any process serves them; a failure is an `error` event in the envelope, which the client raises."""

import base64
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi.responses import StreamingResponse
from fastapi.sse import format_sse_event
from starlette.types import Receive, Scope, Send

from sfumato.api.sync_answers import images_of_ended
from sfumato.domain.clock import Clock
from sfumato.domain.errors import SfumatoError
from sfumato.domain.keys import ApiKey
from sfumato.http.errors import envelope, status_of
from sfumato.http.threads import in_thread
from sfumato.services.images import ImageService
from sfumato.services.views import JobView
from sfumato.services.watches import JobWatches

# OpenAI counts tokens; this server does not: the field is there, as clients may read it.
NO_USAGE = {
    "input_tokens": 0,
    "output_tokens": 0,
    "total_tokens": 0,
    "input_tokens_details": {"image_tokens": 0, "text_tokens": 0},
}


def _event(kind: str, data: dict[str, Any]) -> bytes:
    return format_sse_event(event=kind, data_str=json.dumps(data, separators=(",", ":")))


class HeldStream(StreamingResponse):
    """A stream that holds one of its key's open streams until it is done, sent or not."""

    def __init__(self, content: AsyncIterator[bytes], release: Callable[[], object]) -> None:
        super().__init__(content, media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
        self.release = release

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.release()


def image_stream(
    watches: JobWatches,
    images: ImageService,
    clock: Clock,
    key: ApiKey,
    view: JobView,
    *,
    prefix: str,
    partial_images: int,
    described: dict[str, Any],
) -> StreamingResponse:
    """`prefix`: image_generation or image_edit; `described`: size, quality, background, output_format."""

    async def events() -> AsyncIterator[bytes]:
        sent, shown = 0, None
        try:
            async for now in watches.watch(key, view.job.id, end_on_drain=True):
                if now.status.is_terminal():
                    for image in images_of_ended(now) or []:
                        _, content = await in_thread(images.content, key, image.id)
                        completed = {
                            "type": f"{prefix}.completed",
                            "b64_json": base64.b64encode(content).decode(),
                        }
                        yield _event(
                            f"{prefix}.completed",
                            completed | _common(described, clock) | {"usage": NO_USAGE},
                        )
                    return
                preview = now.job.preview
                if sent < partial_images and preview and preview != shown:
                    partial = {
                        "type": f"{prefix}.partial_image",
                        "b64_json": preview,
                        "partial_image_index": sent,
                    }
                    yield _event(f"{prefix}.partial_image", partial | _common(described, clock))
                    sent, shown = sent + 1, preview
        except SfumatoError as error:
            _, type_ = status_of(error)
            yield _event("error", {"type": "error"} | envelope(error.message, type_, error.code, error.param))

    slot = watches.stream_of(key)
    slot.__enter__()  # 429 now, before the answer starts, when the key holds its plan's most streams
    return HeldStream(events(), release=lambda: slot.__exit__(None, None, None))


def _common(described: dict[str, Any], clock: Clock) -> dict[str, Any]:
    return {"created_at": int(clock.now().timestamp())} | described
