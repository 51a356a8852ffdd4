"""OpenAI's image answers, made: generate (or stream), wait, and answer as OpenAI does. The routes
(routes.py) only read their request and hand it here, as vLLM's routers hand theirs to a serving class."""

import base64
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request, Response

from sfumato.api.dialects.openai.schemas import OpenAIImage, OpenAIImageRequest, OpenAIImagesResponse
from sfumato.api.dialects.openai.stream import image_stream
from sfumato.api.dialects.openai.translate import answer_quality, gpt_image, response_format
from sfumato.api.sync_answers import generate_and_wait
from sfumato.config import Settings
from sfumato.domain.clock import Clock
from sfumato.domain.generation import GenerationRequest
from sfumato.domain.idempotency import Idempotency
from sfumato.domain.images import Image
from sfumato.domain.keys import ApiKey
from sfumato.http.deps import base_url_of
from sfumato.http.objects import access_url
from sfumato.http.threads import in_thread
from sfumato.services.generation import GenerationService
from sfumato.services.images import ImageService
from sfumato.services.watches import JobWatches


def described(body: OpenAIImageRequest, request: GenerationRequest, size: str) -> dict[str, Any]:
    """What OpenAI's answer says of its images: a GPT image model's also its background and quality."""
    shown: dict[str, Any] = {"output_format": request.format, "size": size}
    if gpt_image(body.model) or body.stream:
        shown |= {"background": "opaque", "quality": answer_quality(body)}
    return shown


@dataclass(frozen=True)
class OpenAIServing:
    generation: GenerationService
    watches: JobWatches
    images: ImageService
    clock: Clock
    settings: Settings
    base_url: str

    async def answer(
        self,
        key: ApiKey,
        images: list[Image],
        request: GenerationRequest,
        fmt: str,
        shown: Callable[[str], dict[str, Any]],
    ) -> OpenAIImagesResponse:
        data = []
        for image in images:
            if fmt == "b64_json":
                _, content = await in_thread(self.images.content, key, image.id)
                b64 = base64.b64encode(content).decode()
                data.append(OpenAIImage(b64_json=b64, revised_prompt=image.prompt))
            else:
                data.append(OpenAIImage(url=access_url(image, self.base_url), revised_prompt=image.prompt))
        size = f"{images[0].width}x{images[0].height}" if images else f"{request.width}x{request.height}"
        return OpenAIImagesResponse(created=int(self.clock.now().timestamp()), data=data, **shown(size))

    async def made(
        self,
        key: ApiKey,
        request: GenerationRequest,
        idempotency: Idempotency | None,
        response: Response,
        **options: Any,
    ) -> list[Image]:
        """The images of `request`, generated and waited for (SFUMATO_MAX_WAIT_SECONDS at most)."""
        seconds = self.settings.max_wait_seconds
        return await generate_and_wait(
            self.generation, key, request, idempotency, response, seconds=seconds, **options
        )

    async def serve(
        self,
        key: ApiKey,
        body: OpenAIImageRequest,
        request: GenerationRequest,
        idempotency: Idempotency | None,
        response: Response,
        *,
        prefix: str,
        **options: Any,
    ) -> Any:
        """Generate and answer as OpenAI does: the images once made, or with `stream`, events as they come."""
        if body.stream:
            view = await in_thread(self.generation.submit, key, request, idempotency, **options)
            size = f"{request.width}x{request.height}"
            return image_stream(
                self.watches,
                self.images,
                self.clock,
                key,
                view,
                prefix=prefix,
                partial_images=body.partial_images or 0,
                described=described(body, request, size),
            )
        images = await self.made(key, request, idempotency, response, **options)
        return await self.answer(
            key, images, request, response_format(body), lambda size: described(body, request, size)
        )


async def serving(request: Request) -> OpenAIServing:
    root = request.app.state.root
    parts = (root.generation, root.watches, root.images, root.clock, root.settings)
    return OpenAIServing(*parts, base_url_of(request))


Serving = Annotated[OpenAIServing, Depends(serving)]
