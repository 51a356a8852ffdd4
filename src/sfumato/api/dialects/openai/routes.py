"""OpenAI's image routes: `POST /v1/images/generations`, `/v1/images/edits` and `/v1/images/variations`,
each answering as generations does."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from sfumato.api.deps import Fingerprint, idempotency
from sfumato.api.dialects.openai.schemas import (
    OpenAIEditRequest,
    OpenAIImageRequest,
    OpenAIImagesResponse,
    OpenAIVariationRequest,
)
from sfumato.api.dialects.openai.serving import Serving
from sfumato.api.dialects.openai.translate import edit_to_generation, to_generation, variation_to_generation
from sfumato.api.dialects.openai.uploads import IMAGE_FIELDS, first_image, read_upload
from sfumato.api.schemas import SSE_CONTENT
from sfumato.http.access import GenerationKey

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


# With `stream`, the answer is Server-Sent Events (docs/api.md): the schema says so beside the JSON.
STREAMED: dict[int | str, dict[str, Any]] = {200: {"content": SSE_CONTENT}}


def _azure(raw: Request) -> dict[str, str]:
    """On Azure OpenAI's paths (`?api-version=`, the key in `api-key`), the deployment names the model."""
    deployment = raw.path_params.get("deployment")
    return {"model": deployment} if deployment is not None else {}


@router.post(
    "/v1/images/generations",
    response_model=OpenAIImagesResponse,
    response_model_exclude_none=True,
    responses=STREAMED,
)
async def generations(
    raw: Request,
    body: OpenAIImageRequest,
    key: GenerationKey,
    serving: Serving,
    response: Response,
    idempotency: Annotated[Fingerprint, Depends(idempotency("openai"))],
) -> Any:
    """OpenAI-compatible generation: waits, then answers with URLs (key-free, until expiry) or base64;
    with `stream`, Server-Sent Events of partial images, then the image."""
    body.model = body.model or _azure(raw).get("model")
    catalogue, aliases = serving.generation.catalogue, serving.settings.openai_models
    request = to_generation(body, serving.generation.served[0], catalogue, aliases)
    fingerprint = idempotency(body)
    return await serving.serve(key, body, request, fingerprint, response, prefix="image_generation")


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
    serving: Serving,
    response: Response,
    idempotency: Annotated[Fingerprint, Depends(idempotency("openai-edits"))],
) -> Any:
    """OpenAI's image edits: the first image redrawn after the prompt, inpainted where the mask (or the
    image's own transparency) is clear; further images are not used, and the job says so."""
    upload = await read_upload(raw, max_bytes=serving.settings.max_input_bytes)
    body = OpenAIEditRequest.model_validate(upload.fields | _azure(raw))  # its errors: 400 naming the field
    catalogue, aliases = serving.generation.catalogue, serving.settings.openai_models
    default = serving.generation.served[0]
    request = edit_to_generation(body, default, first_image(upload), upload.mask, catalogue, aliases)
    return await serving.serve(
        key,
        body,
        request,
        idempotency(request),
        response,
        prefix="image_edit",
        alpha_mask=True,
        ignored_images=len(upload.images) - 1,
    )


# Azure OpenAI's paths: the same routes, the deployment in the path (one way of aliasing, for both).
router.add_api_route(
    "/openai/deployments/{deployment}/images/generations",
    generations,
    methods=["POST"],
    response_model=OpenAIImagesResponse,
    response_model_exclude_none=True,
    responses=STREAMED,
    summary="Azure Generations",
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
    serving: Serving,
    response: Response,
    idempotency: Annotated[Fingerprint, Depends(idempotency("openai-variations"))],
) -> Any:
    """OpenAI's variations: the image redrawn, without a prompt, `strength` of it (0.6 by default)."""
    upload = await read_upload(raw, max_bytes=serving.settings.max_input_bytes)
    body = OpenAIVariationRequest.model_validate(upload.fields)
    catalogue, aliases = serving.generation.catalogue, serving.settings.openai_models
    request = variation_to_generation(body, first_image(upload), catalogue, aliases)
    images = await serving.made(key, request, idempotency(request), response)
    plain = lambda size: {"output_format": "png", "size": size}  # noqa: E731
    return await serving.answer(key, images, request, body.response_format or "url", plain)
