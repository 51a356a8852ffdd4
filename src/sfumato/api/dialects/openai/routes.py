"""OpenAI's image routes: `POST /v1/images/generations`, `/v1/images/edits` and `/v1/images/variations`,
each answering as generations does."""

import base64
from collections.abc import Callable
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from sfumato.api.deps import BaseUrl, Fingerprint, GenerationKey, ServicesDep, idempotency, in_thread
from sfumato.api.dialects.openai.schemas import (
    OpenAIEditRequest,
    OpenAIImage,
    OpenAIImageRequest,
    OpenAIImagesResponse,
    OpenAIVariationRequest,
)
from sfumato.api.dialects.openai.stream import image_stream
from sfumato.api.dialects.openai.translate import (
    answer_quality,
    edit_to_generation,
    gpt_image,
    response_format,
    to_generation,
    variation_to_generation,
)
from sfumato.api.dialects.openai.uploads import IMAGE_FIELDS, first_image, read_upload
from sfumato.api.outcome import generate_and_wait
from sfumato.api.schemas import SSE_CONTENT, access_url
from sfumato.domain.generation import GenerationRequest
from sfumato.domain.idempotency import Idempotency
from sfumato.domain.images import Image
from sfumato.domain.keys import ApiKey
from sfumato.services.container import Services

router = APIRouter(tags=["openai"])


def _multipart(fields: dict[str, Any], required: tuple[str, ...]) -> dict[str, Any]:
    """The OpenAPI description of a multipart body: which parts are files, which are values; a value's
    choices and bounds are the edit request's own (`response_format` one of two, `prompt` not empty)."""
    model = OpenAIEditRequest.model_json_schema()["properties"]

    def value(name: str, kind: str) -> dict[str, Any]:
        described = model.get(name, {})
        choices = [item["enum"] for item in described.get("anyOf", [described]) if "enum" in item]
        bounds = {bound: described[bound] for bound in ("minLength", "maxLength") if bound in described}
        return {"type": kind} | ({"enum": choices[0]} if choices else {}) | bounds

    properties = {
        name: {"type": "string", "format": "binary"} if name in (*IMAGE_FIELDS, "mask") else value(name, kind)
        for name, kind in fields.items()
    }
    schema = {"type": "object", "properties": properties, "required": list(required)}
    return {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": schema}}}}


_EDIT_FIELDS = {
    "image": "string",
    "image[]": "string",
    "mask": "string",
    "prompt": "string",
    "model": "string",
    "n": "integer",
    "size": "string",
    "response_format": "string",
    "output_format": "string",
    "output_compression": "integer",
    "quality": "string",
    "background": "string",
    "input_fidelity": "string",
    "user": "string",
    "strength": "number",
    "seed": "integer",
}
_VARIATION_FIELDS = {"image": "string", "model": "string", "n": "integer", "size": "string"} | {
    "response_format": "string",
    "user": "string",
    "strength": "number",
    "seed": "integer",
}


async def _answer(
    services: Services,
    key: ApiKey,
    images: list[Image],
    request: GenerationRequest,
    fmt: str,
    base: str,
    described: Callable[[str], dict[str, Any]],
) -> OpenAIImagesResponse:
    data = []
    for image in images:
        if fmt == "b64_json":
            _, content = await in_thread(services.images.content, key, image.id)
            data.append(OpenAIImage(b64_json=base64.b64encode(content).decode(), revised_prompt=image.prompt))
        else:
            data.append(OpenAIImage(url=access_url(image, base), revised_prompt=image.prompt))
    size = f"{images[0].width}x{images[0].height}" if images else f"{request.width}x{request.height}"
    return OpenAIImagesResponse(created=int(services.clock.now().timestamp()), data=data, **described(size))


def _described(body: OpenAIImageRequest, request: GenerationRequest, size: str) -> dict[str, Any]:
    """What OpenAI's answer says of its images: a GPT image model's also its background and quality."""
    described: dict[str, Any] = {"output_format": request.format, "size": size}
    if gpt_image(body.model) or body.stream:
        described |= {"background": "opaque", "quality": answer_quality(body)}
    return described


async def _serve(
    services: Services,
    key: ApiKey,
    body: OpenAIImageRequest,
    request: GenerationRequest,
    idempotency: Idempotency | None,
    response: Response,
    base_url: str,
    *,
    prefix: str,
    **options: Any,
) -> Any:
    """Generate and answer as OpenAI does: the images once made, or with `stream`, events as they come."""
    if body.stream:
        view = await in_thread(services.generation.submit, key, request, idempotency, **options)
        size = f"{request.width}x{request.height}"
        return image_stream(
            services,
            key,
            view,
            prefix=prefix,
            partial_images=body.partial_images or 0,
            described=_described(body, request, size),
        )
    images = await generate_and_wait(services, key, request, idempotency, response, **options)
    described = partial(_described, body, request)
    return await _answer(services, key, images, request, response_format(body), base_url, described)


# With `stream`, the answer is Server-Sent Events (docs/api.md): the schema says so beside the JSON.
STREAMED: dict[int | str, dict[str, Any]] = {200: {"content": SSE_CONTENT}}


@router.post(
    "/v1/images/generations",
    response_model=OpenAIImagesResponse,
    response_model_exclude_none=True,
    responses=STREAMED,
)
async def generations(
    body: OpenAIImageRequest,
    key: GenerationKey,
    services: ServicesDep,
    base_url: BaseUrl,
    response: Response,
    idempotency: Annotated[Fingerprint, Depends(idempotency("openai"))],
) -> Any:
    """OpenAI-compatible generation: waits, then answers with URLs (key-free, until expiry) or base64;
    with `stream`, Server-Sent Events of partial images, then the image."""
    request = to_generation(body, services.settings.model)
    fingerprint = idempotency(body)
    return await _serve(
        services, key, body, request, fingerprint, response, base_url, prefix="image_generation"
    )


@router.post(
    "/openai/deployments/{deployment}/images/generations",
    response_model=OpenAIImagesResponse,
    response_model_exclude_none=True,
    responses=STREAMED,
)
async def azure_generations(
    deployment: str,
    body: OpenAIImageRequest,
    key: GenerationKey,
    services: ServicesDep,
    base_url: BaseUrl,
    response: Response,
    idempotency: Annotated[Fingerprint, Depends(idempotency("openai"))],
) -> Any:
    """Azure OpenAI's path (with `?api-version=`, and the key in `api-key`): the deployment is the model."""
    body.model = body.model or deployment
    return await generations(body, key, services, base_url, response, idempotency)


@router.post(
    "/v1/images/edits",
    response_model=OpenAIImagesResponse,
    response_model_exclude_none=True,
    responses=STREAMED,
    openapi_extra=_multipart(_EDIT_FIELDS, ("image", "prompt")),
)
async def edits(
    raw: Request,
    key: GenerationKey,
    services: ServicesDep,
    base_url: BaseUrl,
    response: Response,
    idempotency: Annotated[Fingerprint, Depends(idempotency("openai-edits"))],
) -> Any:
    """OpenAI's image edits: the first image redrawn after the prompt, inpainted where the mask (or the
    image's own transparency) is clear; further images are not used, and the job says so."""
    upload = await read_upload(raw, max_bytes=services.settings.max_input_bytes)
    azure = {"model": raw.path_params["deployment"]} if "deployment" in raw.path_params else {}
    fields = upload.fields | azure
    body = OpenAIEditRequest.model_validate(fields)  # its errors: 400 naming the field
    request = edit_to_generation(body, services.settings.model, first_image(upload), upload.mask)
    return await _serve(
        services,
        key,
        body,
        request,
        idempotency(request),
        response,
        base_url,
        prefix="image_edit",
        alpha_mask=True,
        ignored_images=len(upload.images) - 1,
    )


router.add_api_route(
    "/openai/deployments/{deployment}/images/edits",
    edits,
    methods=["POST"],
    response_model=OpenAIImagesResponse,
    response_model_exclude_none=True,
    responses=STREAMED,
    openapi_extra=_multipart(_EDIT_FIELDS, ("image", "prompt")),
    summary="Azure Edits",
)


@router.post(
    "/v1/images/variations",
    response_model=OpenAIImagesResponse,
    response_model_exclude_none=True,
    openapi_extra=_multipart(_VARIATION_FIELDS, ("image",)),
)
async def variations(
    raw: Request,
    key: GenerationKey,
    services: ServicesDep,
    base_url: BaseUrl,
    response: Response,
    idempotency: Annotated[Fingerprint, Depends(idempotency("openai-variations"))],
) -> Any:
    """OpenAI's variations: the image redrawn, without a prompt, `strength` of it (0.6 by default)."""
    upload = await read_upload(raw, max_bytes=services.settings.max_input_bytes)
    body = OpenAIVariationRequest.model_validate(upload.fields)
    request = variation_to_generation(body, first_image(upload))
    images = await generate_and_wait(services, key, request, idempotency(request), response)
    plain = lambda size: {"output_format": "png", "size": size}  # noqa: E731
    return await _answer(services, key, images, request, body.response_format or "url", base_url, plain)
