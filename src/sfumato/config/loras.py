"""LoRA adapters (docs/models.md, "LoRA adapters"): how large an upload may be, and what a worker keeps of
them in memory and on disk."""

from pydantic import Field
from pydantic_settings import BaseSettings

from sfumato.config.base import PREFIX


class LoraSettings(BaseSettings):
    model_config = PREFIX

    lora_max_bytes: int = Field(
        512 * 1024**2,
        ge=1,
        description="the largest LoRA file `POST /v1/loras` and `sfumato loras add` take, in bytes",
    )
    lora_max_rank: int = Field(
        128,
        ge=1,
        le=1024,
        description="the largest LoRA rank taken; with `SFUMATO_COMPILE`, hot-swapped adapters are padded "
        "to it, so no swap recompiles",
    )
    lora_cache_count: int = Field(
        8,
        ge=1,
        description="LoRA adapters a worker keeps loaded per model; past it the least recently used goes",
    )
    lora_cache_bytes: int = Field(
        2 * 1024**3,
        ge=1,
        description="the bytes of LoRA files a worker keeps loaded per model; past it the least recently "
        "used goes",
    )
    lora_slots: int = Field(
        0,
        ge=0,
        le=10,
        description="with `SFUMATO_COMPILE`: LoRA adapters a compiled model runs at once, hot-swapped in "
        "place (set it to the largest plan's `max_loras`; each slot adds work to every linear layer); 0: a "
        "compiled model runs none, and keeps its QKV projections fused",
    )
