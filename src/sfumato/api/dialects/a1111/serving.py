"""AUTOMATIC1111's generation, made: the model its client chose, the hires fix's second pass, and the answer
with raw base64 PNGs and `info`. The routes (routes.py) read their request and hand it here."""

import asyncio
import base64
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request, Response

from sfumato.api.dialects.a1111 import catalog
from sfumato.api.dialects.a1111.schemas import ImagesResponse, Txt2ImgRequest
from sfumato.api.dialects.a1111.translate import Plan, hires_request, info, parameters
from sfumato.api.sync_answers import generate_and_wait
from sfumato.config import Settings
from sfumato.domain.clock import Clock
from sfumato.domain.errors import InvalidParameter
from sfumato.domain.generation import GenerationRequest
from sfumato.domain.images import Image
from sfumato.domain.keys import ApiKey
from sfumato.http.threads import in_thread
from sfumato.services.client_options import ClientOptions
from sfumato.services.fleet import Fleet
from sfumato.services.generation import GenerationService
from sfumato.services.images import ImageService
from sfumato.services.loras import LoraService

CLIENT = "a1111"  # the name its kept options go under


@dataclass(frozen=True)
class A1111Serving:
    generation: GenerationService
    images: ImageService
    client_options: ClientOptions
    clock: Clock
    settings: Settings
    fleet: Fleet
    loras: LoraService

    async def made(self, key: ApiKey, request: GenerationRequest, response: Response) -> list[Image]:
        """Generate and wait, as AUTOMATIC1111 does (SFUMATO_MAX_WAIT_SECONDS at most)."""
        seconds = self.settings.max_wait_seconds
        return await generate_and_wait(self.generation, key, request, None, response, seconds=seconds)

    def checkpoints(self) -> list[str]:
        """The checkpoints `/sd-models` lists: the fleet's models (this server's own first)."""
        return [model.name for model in self.fleet.models() if model.name in self.generation.catalogue]

    def named(self, name: str) -> str:
        """The catalogue's model a client names (by title, name, file name or hash); 400 naming
        `sd_model_checkpoint` for one outside it."""
        model = catalog.model_named(name, tuple(self.generation.catalogue))
        if model is None:
            available = ", ".join(catalog.title(listed) for listed in self.checkpoints())
            raise InvalidParameter(
                f"model {name!r} not found; available: {available}", param="sd_model_checkpoint"
            )
        return model

    def model(self, key: ApiKey, body: Txt2ImgRequest | None = None) -> str:
        """The model a key's client chose: this request's `override_settings`, else its kept options (one
        that has since left the catalogue falls back, as AUTOMATIC1111 falls back to a checkpoint it has),
        else the default."""
        override = (body.override_settings or {}).get("sd_model_checkpoint") if body else None
        if override:
            return self.named(str(override))
        kept = self.client_options.get(key, CLIENT).get("sd_model_checkpoint")
        found = catalog.model_named(str(kept), tuple(self.generation.catalogue)) if kept else None
        return found or self.generation.served[0]

    async def generate(self, key: ApiKey, body: Txt2ImgRequest, made: Plan, response: Response) -> Any:
        images = await self.made(key, made.request, response)
        extra: dict[str, Any] = {}
        if made.request.image is not None:
            extra["Denoising strength"] = made.request.strength
        if made.hires is not None:
            hires = made.hires
            second = [hires_request(made.request, image, hires) for image in images]
            passes = [self.made(key, request, response) for request in second]
            images = [made_again[0] for made_again in await asyncio.gather(*passes)]
            extra |= {
                "Denoising strength": hires.strength,
                "Hires resize": f"{hires.width}x{hires.height}",
                "Hires steps": hires.steps,
                "Hires upscaler": "Lanczos",
            }
        if made.request.loras:  # as AUTOMATIC1111 names the networks that ran: "name: short hash"
            # A key's own before a shared one of the same name: the one its job ran.
            usable = {lora.name: lora for lora in reversed(await in_thread(self.loras.usable, key))}
            usable |= {lora.id: lora for lora in usable.values()}
            ran = [usable[use.ref] for use in made.request.loras if use.ref in usable]
            extra["Lora hashes"] = ", ".join(f"{lora.name}: {lora.short_hash}" for lora in ran)
        model = made.request.model or self.generation.served[0]
        described = info(made, images, model, catalog.sha256_of(model)[:10], extra, self.clock.now())
        pictures = (
            [await self.encoded(key, image) for image in images] if body.send_images is not False else []
        )
        return ImagesResponse(images=pictures, parameters=parameters(body), info=described)

    async def encoded(self, key: ApiKey, image: Image) -> str:
        _, content = await in_thread(self.images.content, key, image.id)
        return base64.b64encode(content).decode()  # raw: clients split at the first comma, or decode it whole


async def serving(request: Request) -> A1111Serving:
    root = request.app.state.root
    return A1111Serving(
        root.generation,
        root.images,
        root.client_options,
        root.clock,
        root.settings,
        root.fleet,
        root.loras,
    )


Serving = Annotated[A1111Serving, Depends(serving)]
