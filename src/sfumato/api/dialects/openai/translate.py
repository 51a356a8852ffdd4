"""OpenAI's request as a GenerationRequest: its model names, `size`, `style` and `output_compression`."""

import re
from typing import Any

from pydantic import ValidationError

from sfumato.api.dialects.openai.schemas import OpenAIImageRequest
from sfumato.domain.errors import InvalidParameter
from sfumato.domain.generation import GenerationRequest, plain_message
from sfumato.domain.models import MODELS

_SIZE = re.compile(r"^(\d+)x(\d+)$")


def to_generation(request: OpenAIImageRequest, served: str) -> GenerationRequest:
    model = request.model if request.model in MODELS else None  # OpenAI's names: the served model
    native = MODELS[model or served].native_size
    width = height = native
    if request.size not in (None, "auto"):
        match = _SIZE.match(request.size)
        if match is None:
            raise InvalidParameter("size must be WxH (for example 1024x1024) or auto", param="size")
        width, height = int(match[1]), int(match[2])
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
    try:
        return GenerationRequest(**values)
    except ValidationError as error:
        first = error.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else None
        if field in ("width", "height"):  # this dialect names them `size`
            raise InvalidParameter(f"size: {plain_message(str(first['msg']))}", param="size") from None
        raise
