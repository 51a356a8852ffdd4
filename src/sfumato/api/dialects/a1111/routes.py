"""AUTOMATIC1111's routes. Generation waits, as AUTOMATIC1111's does, and answers raw base64 PNGs."""

from dataclasses import replace
from datetime import UTC
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Response

from sfumato.api.dialects.a1111 import catalog
from sfumato.api.dialects.a1111.auth import GeneratingKey, ReadingKey
from sfumato.api.dialects.a1111.inputs import a1111_mask
from sfumato.api.dialects.a1111.networks import lora_entry
from sfumato.api.dialects.a1111.schemas import (
    ImagesResponse,
    Img2ImgRequest,
    PngInfoRequest,
    PngInfoResponse,
    Txt2ImgRequest,
)
from sfumato.api.dialects.a1111.serving import CLIENT, Serving
from sfumato.api.dialects.a1111.translate import plan
from sfumato.domain.errors import InvalidParameter
from sfumato.domain.jobs import JobStatus
from sfumato.http.threads import in_thread
from sfumato.imaging.infotext import INFOTEXT_CHUNK, parse_infotext, text_chunks
from sfumato.imaging.inputs import from_text

router = APIRouter(prefix="/sdapi/v1", tags=["automatic1111"])


@router.post("/txt2img", response_model=ImagesResponse)
async def txt2img(body: Txt2ImgRequest, key: GeneratingKey, serving: Serving, response: Response) -> Any:
    """Text to image; with `enable_hr`, the hires fix: the images made larger, then redrawn."""
    model = await in_thread(serving.model, key, body)
    made = plan(body, serving.generation.catalogue[model])
    made = replace(made, request=made.request.model_copy(update={"model": model}))
    return await serving.generate(key, body, made, response)


@router.post("/img2img", response_model=ImagesResponse)
async def img2img(body: Img2ImgRequest, key: GeneratingKey, serving: Serving, response: Response) -> Any:
    """Image to image, inpainting with `mask`: the first of `init_images` redrawn at `denoising_strength`."""
    if not body.init_images:
        raise InvalidParameter("init_images needs an image (base64 or a data: URL)", param="init_images")
    model = await in_thread(serving.model, key, body)
    mask = None
    if body.mask:
        limits = serving.generation.inputs.limits
        mask = await in_thread(a1111_mask, body.mask, invert=bool(body.inpainting_mask_invert), limits=limits)
    made = plan(body, serving.generation.catalogue[model], image=body.init_images[0], mask=mask)
    made = replace(made, request=made.request.model_copy(update={"model": model}), hires=None)
    return await serving.generate(key, body, made, response)


@router.get("/options")
async def get_options(key: ReadingKey, serving: Serving) -> dict[str, Any]:
    kept = await in_thread(serving.client_options.get, key, CLIENT)
    return catalog.options(await in_thread(serving.model, key), kept)


@router.post("/options")
async def set_options(key: ReadingKey, serving: Serving, changes: Annotated[dict[str, Any], Body()]) -> None:
    """Kept for this key (bounded), given back by GET; `sd_model_checkpoint` picks the model its generations
    use: any of `/sd-models`, or another of the catalogue (queued until a worker of it runs)."""
    if "sd_model_checkpoint" in changes:
        model = await in_thread(serving.named, str(changes["sd_model_checkpoint"]))
        changes = changes | {"sd_model_checkpoint": catalog.title(model)}
    await in_thread(serving.client_options.update, key, CLIENT, changes)


@router.get("/sd-models")
async def sd_models(_key: ReadingKey, serving: Serving) -> list[dict[str, Any]]:
    """The fleet's models as checkpoints: this server's own first (its default leading), then every
    other model a live worker serves."""
    return [catalog.checkpoint(model) for model in await in_thread(serving.checkpoints)]


@router.get("/samplers")
async def samplers(_key: ReadingKey) -> list[dict[str, Any]]:
    return catalog.SAMPLERS


@router.get("/schedulers")
async def schedulers(_key: ReadingKey) -> list[dict[str, Any]]:
    return catalog.SCHEDULERS


@router.get("/upscalers")
async def upscalers(_key: ReadingKey) -> list[dict[str, Any]]:
    return catalog.UPSCALERS


@router.get("/latent-upscale-modes")
async def latent_upscale_modes(_key: ReadingKey) -> list[dict[str, Any]]:
    return []  # the hires fix upscales pictures, never latents


@router.get("/sd-vae")
async def sd_vae(_key: ReadingKey) -> list[dict[str, Any]]:
    return []  # each model's own VAE ("Automatic")


@router.get("/scripts")
async def scripts(_key: ReadingKey) -> dict[str, list[str]]:
    return {"txt2img": [], "img2img": []}


@router.get("/loras")
async def loras(key: ReadingKey, serving: Serving) -> list[dict[str, Any]]:
    """The LoRA adapters this key may name in `<lora:NAME:WEIGHT>`: its own and the shared ones."""
    return [lora_entry(lora) for lora in await in_thread(serving.loras.usable, key)]


@router.post("/refresh-loras")
async def refresh_loras(_key: ReadingKey) -> None:
    """Nothing to do: an upload (POST /v1/loras) is listed at once."""


@router.get("/prompt-styles")
@router.get("/face-restorers")
@router.get("/hypernetworks")
async def none_here(_key: ReadingKey) -> list[dict[str, Any]]:
    """Lists of what AUTOMATIC1111 can load beside a checkpoint: nothing of the kind is served."""
    return []


@router.get("/embeddings")
async def embeddings(_key: ReadingKey) -> dict[str, dict[str, Any]]:
    return {"loaded": {}, "skipped": {}}


@router.post("/refresh-checkpoints")
@router.post("/refresh-vae")
async def refresh(_key: ReadingKey) -> None:
    """Nothing to do: the served models are fixed when the service starts (docs/models.md)."""


@router.get("/progress")
async def progress(
    key: ReadingKey, serving: Serving, skip_current_image: Annotated[bool, Query()] = False
) -> dict[str, Any]:
    """The key's current job: how far, how long left, its latest preview (when it asked for them)."""
    active = await in_thread(serving.generation.active, key)
    if not active:
        return {
            "progress": 0.0,
            "eta_relative": 0.0,
            "state": catalog.IDLE_STATE,
            "current_image": None,
            "textinfo": None,
        }
    job = active[0]
    steps = job.params.steps_to_run()
    now = serving.clock.now()
    elapsed = (now - (job.started_at or job.created_at)).total_seconds()
    eta = max(0.0, elapsed / max(job.progress, 0.01) - elapsed)
    if job.status == JobStatus.QUEUED:  # until its estimated start (0 when none can be made)
        place = await in_thread(serving.generation.places.place_of, job)
        start = place.estimated_start_at if place is not None else None
        eta = max(0.0, (start - now).total_seconds()) if start is not None else 0.0
    state = catalog.IDLE_STATE | {
        "job": job.id,
        "job_count": len(active),
        "job_timestamp": job.created_at.astimezone(UTC).strftime("%Y%m%d%H%M%S"),
        "sampling_step": round(job.progress * steps),
        "sampling_steps": steps,
    }
    preview = None if skip_current_image else job.preview
    return {
        "progress": job.progress,
        "eta_relative": eta,
        "state": state,
        "current_image": preview,
        "textinfo": None,
    }


@router.post("/interrupt")
async def interrupt(key: ReadingKey, serving: Serving) -> dict[str, Any]:
    """Stop the key's running job (it ends canceled); answers {} as AUTOMATIC1111 does."""
    await in_thread(serving.generation.interrupt, key)
    return {}


@router.post("/skip")
async def skip(key: ReadingKey, serving: Serving) -> None:
    """The same as interrupt here (a job is one batch); answers null as AUTOMATIC1111 does."""
    await in_thread(serving.generation.interrupt, key)


@router.post("/png-info", response_model=PngInfoResponse)
async def png_info(body: PngInfoRequest, _key: ReadingKey, serving: Serving) -> Any:
    """What made a PNG, as AUTOMATIC1111's PNG Info reads it: the `parameters` chunk's infotext, parsed."""
    if not body.image.strip():
        return {"info": "", "items": {}, "parameters": {}}
    limits = serving.generation.inputs.limits
    data = from_text(body.image.strip(), field="image", limits=limits)
    chunks = await in_thread(text_chunks, data, max_pixels=limits.max_pixels)
    info = chunks.pop(INFOTEXT_CHUNK, "")
    return {"info": info, "items": chunks, "parameters": parse_infotext(info) if info else {}}
