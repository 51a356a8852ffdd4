"""OpenAI's images API (docs/clients.md): `POST /v1/images/generations`, for the official clients unchanged.

OpenAI's own model names (dall-e-2, dall-e-3, gpt-image-1, …) run on the served model; a model this
server knows by name must be the served one. `size` is `WxH` (multiples of 64 from 256 to 2048, as
§5) or `auto` (the model's native size). `quality`, `user`, `background` and `moderation` are
accepted and have no effect; `style` is one of this server's presets, and OpenAI's `vivid` and
`natural` mean none. `output_compression` (0 to 100) is the jpeg/webp quality.
"""

from sfumato.api.dialects.openai.routes import router

__all__ = ["router"]
