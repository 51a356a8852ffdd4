"""The HTTP edges: the dashboard's sessions, request bodies and input images, webhooks, and
AUTOMATIC1111's anonymous key."""

from pydantic import Field
from pydantic_settings import BaseSettings

from sfumato.config.base import PREFIX


class HttpSettings(BaseSettings):
    model_config = PREFIX

    # HTTP, the dashboard and webhooks.
    session_secret: str = Field(
        "",
        description="signs the dashboard's session cookies; empty: one made at the first start and kept in "
        "the database, so every process shares it",
    )
    max_body_bytes: int = Field(
        1 << 20,
        ge=1024,
        description="larger request bodies answer 413; routes that take images also take their "
        "`SFUMATO_MAX_INPUT_BYTES` (twice: an image and a mask, as base64)",
    )
    max_input_bytes: int = Field(
        20_000_000,
        ge=1024,
        description="the largest input image (image-to-image, inpainting, edits), in bytes",
    )
    max_input_pixels: int = Field(
        4096 * 4096,
        ge=256 * 256,
        description="the most pixels an input image may have, counted from its header before it is decoded",
    )
    webhooks_allow_private: bool = Field(
        False,
        description="`1` lets webhooks use plain http and reach loopback and private addresses: for "
        "development and tests only",
    )
    a1111_anonymous_key: str = Field(
        "",
        description="the id (`key_…`) of a key that AUTOMATIC1111 requests without a key act as; empty: such "
        "requests are refused (401). For clients that cannot send one; logged at every start",
    )
