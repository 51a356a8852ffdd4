"""OpenAI's `stream: true` (docs/clients.md): Server-Sent Events as the official client's
`images.generate(stream=True)` and `images.edit(stream=True)` iterate them: up to `partial_images` events
`image_generation.partial_image` (`image_edit.…` for edits), previews of the image while it denoises, then one
`…completed` per image, with `b64_json`. They are read from the job's events (GenerationService.watch), so a
worker in any process serves them; a failure is an `error` event in the envelope, which the client raises."""

import base64
import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi.responses import StreamingResponse
from fastapi.sse import format_sse_event

from sfumato.api.deps import in_thread
from sfumato.api.errors import envelope, status_of
from sfumato.api.outcome import images_of_ended
from sfumato.domain.errors import SfumatoError
from sfumato.domain.keys import ApiKey
from sfumato.services.container import Services
from sfumato.services.generation import JobView

# OpenAI counts tokens; this server does not: the field is there, as clients may read it.
NO_USAGE = {
    "input_tokens": 0,
    "output_tokens": 0,
    "total_tokens": 0,
    "input_tokens_details": {"image_tokens": 0, "text_tokens": 0},
}


def _event(kind: str, data: dict[str, Any]) -> bytes:
    return format_sse_event(event=kind, data_str=json.dumps(data, separators=(",", ":")))


def image_stream(
    services: Services,
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
            async for now in services.generation.watch(key, view.job.id):
                if now.status.is_terminal():
                    for image in images_of_ended(now) or []:
                        _, content = await in_thread(services.images.content, key, image.id)
                        completed = {
                            "type": f"{prefix}.completed",
                            "b64_json": base64.b64encode(content).decode(),
                        }
                        yield _event(
                            f"{prefix}.completed",
                            completed | _common(described, services) | {"usage": NO_USAGE},
                        )
                    return
                preview = now.job.preview
                if sent < partial_images and preview and preview != shown:
                    partial = {
                        "type": f"{prefix}.partial_image",
                        "b64_json": preview,
                        "partial_image_index": sent,
                    }
                    yield _event(f"{prefix}.partial_image", partial | _common(described, services))
                    sent, shown = sent + 1, preview
        except SfumatoError as error:
            _, type_ = status_of(error)
            yield _event("error", {"type": "error"} | envelope(error.message, type_, error.code, error.param))

    return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})


def _common(described: dict[str, Any], services: Services) -> dict[str, Any]:
    return {"created_at": int(services.clock.now().timestamp())} | described
