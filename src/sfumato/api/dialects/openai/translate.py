"""OpenAI's request as a GenerationRequest (its model names, `size`, `quality`, `style`,
`output_compression`), and OpenAI's conventions for the answer: which models answer base64 by default,
what a GPT image model's answer says of itself."""

import math
import re
from collections.abc import Mapping
from fnmatch import fnmatchcase
from typing import Any

from pydantic import ValidationError

from sfumato.api.dialects.openai.schemas import OpenAIEditRequest, OpenAIImageRequest, OpenAIVariationRequest
from sfumato.domain.errors import InvalidParameter
from sfumato.domain.generation import EMPTY_PROMPT, GenerationRequest
from sfumato.domain.models import MODELS, ModelSpec
from sfumato.domain.rules import plain_message

_SIZE = re.compile(r"^(\d+)x(\d+)$")
GPT_IMAGE = ("gpt-image", "chatgpt-image")  # OpenAI's image models that always answer base64
# OpenAI's own image models: the default model serves them, unless SFUMATO_OPENAI_MODELS maps them elsewhere.
OPENAI_MODELS = ("dall-e-*", "gpt-image-*", "chatgpt-image-*")
# `quality` as a share of the model's default steps, within its range (docs/clients.md).
QUALITY_STEPS = {"low": 0.5, "medium": 1.0, "standard": 1.0, "auto": 1.0, "high": 2.0, "hd": 2.0}


def gpt_image(model: str | None) -> bool:
    return bool(model) and str(model).startswith(GPT_IMAGE)


def response_format(request: OpenAIImageRequest) -> str:
    """OpenAI's default: base64 for its GPT image models, a URL for DALL·E (and when no model is named,
    as OpenAI's default model is DALL·E 2); `response_format` given wins."""
    return request.response_format or ("b64_json" if gpt_image(request.model) else "url")


def steps_for(quality: str | None, spec: ModelSpec) -> int | None:
    if quality is None:
        return None
    wanted = math.ceil(spec.default_steps * QUALITY_STEPS[quality])
    return min(spec.max_steps, max(spec.min_steps, wanted))


def answer_quality(request: OpenAIImageRequest) -> str:
    given = request.quality or "auto"
    return {"auto": "medium", "standard": "medium", "hd": "high"}.get(given, given)


def model_for(
    name: str | None, catalogue: Mapping[str, ModelSpec], aliases: Mapping[str, str] | None = None
) -> str | None:
    """The catalogue's model OpenAI's `model` picks: a catalogue name as it is; a name (or pattern) the
    operator maps (SFUMATO_OPENAI_MODELS) to its model; one of OpenAI's own (`dall-e-2`, `dall-e-3`,
    `gpt-image-*`, `chatgpt-image-*`) or none at all: None, the default model. Any other is 400."""
    if not name:
        return None
    if name in catalogue:
        return name
    for pattern, model in (aliases or {}).items():
        if fnmatchcase(name, pattern):
            return model
    if any(fnmatchcase(name, pattern) for pattern in OPENAI_MODELS):
        return None
    raise InvalidParameter(
        f"model {name!r} is neither one of this server's models (GET /v1/models) nor one of OpenAI's image "
        "models",
        param="model",
    )


def _size(size: str | None, auto: tuple[int, int] | None) -> tuple[int | None, int | None]:
    """`WxH`, or `auto` (or nothing): the model's native size for a generation, the input's for an edit."""
    if size in (None, "auto"):
        return auto if auto else (None, None)
    match = _SIZE.match(size)
    if match is None:
        raise InvalidParameter("size must be WxH (for example 1024x1024) or auto", param="size")
    return int(match[1]), int(match[2])


def to_generation(
    request: OpenAIImageRequest,
    served: str,
    catalogue: Mapping[str, ModelSpec] = MODELS,
    aliases: Mapping[str, str] | None = None,
) -> GenerationRequest:
    model = model_for(request.model, catalogue, aliases)
    spec = catalogue[model or served]
    return _checked(_values(request, model, spec, _size(request.size, (spec.native_size, spec.native_size))))


def edit_to_generation(
    request: OpenAIEditRequest,
    served: str,
    image: str,
    mask: str | None,
    catalogue: Mapping[str, ModelSpec] = MODELS,
    aliases: Mapping[str, str] | None = None,
) -> GenerationRequest:
    """An edit: the first picture redrawn after the prompt; inpainted where a mask (or its own
    transparency) says so."""
    model = model_for(request.model, catalogue, aliases)
    values = _values(request, model, catalogue[model or served], _size(request.size, None))
    return _checked(values | {"image": image, "mask": mask, "strength": request.strength})


def variation_to_generation(
    request: OpenAIVariationRequest,
    image: str,
    catalogue: Mapping[str, ModelSpec] = MODELS,
    aliases: Mapping[str, str] | None = None,
) -> GenerationRequest:
    """A variation: the picture redrawn with no prompt at all."""
    width, height = _size(request.size, None)
    values: dict[str, Any] = {
        "prompt": "",
        "image": image,
        "strength": request.strength,
        "seed": request.seed,
        "width": width,
        "height": height,
        "n": request.n,
        "model": model_for(request.model, catalogue, aliases),
        "webhook_url": request.webhook_url,
    }
    return _checked(values, empty_prompt=True)


def _values(
    request: OpenAIImageRequest, model: str | None, spec: ModelSpec, size: tuple[int | None, int | None]
) -> dict[str, Any]:
    if request.background == "transparent":
        raise InvalidParameter(
            "background transparent is not available: this model makes opaque images (opaque or auto)",
            param="background",
        )
    width, height = size
    style = None if request.style in (None, "vivid", "natural") else request.style
    values: dict[str, Any] = {
        "prompt": request.prompt,
        "negative_prompt": request.negative_prompt,
        "seed": request.seed,
        "width": width,
        "height": height,
        "style": style,
        "n": request.n,
        "model": model,
        "format": request.output_format,
        "webhook_url": request.webhook_url,
        "steps": steps_for(request.quality, spec),
        "previews": bool(request.stream and request.partial_images),
    }
    if request.output_compression is not None:
        values["quality"] = max(request.output_compression, 1)
    return values


def _checked(values: dict[str, Any], *, empty_prompt: bool = False) -> GenerationRequest:
    given = {name: value for name, value in values.items() if value is not None}
    try:
        return GenerationRequest.model_validate(given, context={EMPTY_PROMPT: empty_prompt})
    except ValidationError as error:
        first = error.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else None
        if field in ("width", "height"):  # this dialect names them `size`
            raise InvalidParameter(f"size: {plain_message(str(first['msg']))}", param="size") from None
        raise
