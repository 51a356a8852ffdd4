"""OpenAI's request as a GenerationRequest: its model names, `size`, `style` and `output_compression`."""

import re
from typing import Any

from pydantic import ValidationError

from sfumato.api.dialects.openai.schemas import OpenAIEditRequest, OpenAIImageRequest, OpenAIVariationRequest
from sfumato.domain.errors import InvalidParameter
from sfumato.domain.generation import EMPTY_PROMPT, GenerationRequest
from sfumato.domain.models import MODELS
from sfumato.domain.rules import plain_message

_SIZE = re.compile(r"^(\d+)x(\d+)$")


def _model(name: str | None) -> str | None:
    return name if name in MODELS else None  # OpenAI's names (dall-e-3, gpt-image-1, …): the served model


def _size(size: str | None, auto: tuple[int, int] | None) -> tuple[int | None, int | None]:
    """`WxH`, or `auto` (or nothing): the model's native size for a generation, the input's for an edit."""
    if size in (None, "auto"):
        return auto if auto else (None, None)
    match = _SIZE.match(size)
    if match is None:
        raise InvalidParameter("size must be WxH (for example 1024x1024) or auto", param="size")
    return int(match[1]), int(match[2])


def to_generation(request: OpenAIImageRequest, served: str) -> GenerationRequest:
    model = _model(request.model)
    native = MODELS[model or served].native_size
    return _checked(_values(request, model, _size(request.size, (native, native))))


def edit_to_generation(request: OpenAIEditRequest, image: str, mask: str | None) -> GenerationRequest:
    """An edit: the first picture redrawn after the prompt; inpainted where a mask (or its own
    transparency) says so."""
    values = _values(request, _model(request.model), _size(request.size, None))
    return _checked(values | {"image": image, "mask": mask, "strength": request.strength})


def variation_to_generation(request: OpenAIVariationRequest, image: str) -> GenerationRequest:
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
        "model": _model(request.model),
        "webhook_url": request.webhook_url,
    }
    return _checked(values, empty_prompt=True)


def _values(
    request: OpenAIImageRequest, model: str | None, size: tuple[int | None, int | None]
) -> dict[str, Any]:
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
