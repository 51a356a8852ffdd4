"""What an engine is built from, handed down by whoever reads the settings (sfumato/roots/)."""

from dataclasses import dataclass, field
from pathlib import Path

from sfumato.engine.adapters import AdapterLimits


@dataclass(frozen=True)
class WeightSources:
    """Where SDXL-Lightning's weights come from (docs/settings.md: SFUMATO_BASE_MODEL,
    SFUMATO_LIGHTNING_REPO, SFUMATO_ALLOW_DOWNLOAD): each a hub id or a local folder."""

    base_model: str = "stabilityai/stable-diffusion-xl-base-1.0"
    lightning_repo: str = "ByteDance/SDXL-Lightning"
    allow_download: bool = True


@dataclass(frozen=True)
class EngineOptions:
    """How to build an engine (docs/settings.md: SFUMATO_DEVICE, SFUMATO_DTYPE, SFUMATO_COMPILE,
    SFUMATO_PRECISION, SFUMATO_WARMUP_SIZES, SFUMATO_LORA_*). `compile_cache`: where compiled kernels are kept
    between starts (engine/compile_cache.py); None leaves PyTorch's own folders."""

    device: str = "auto"
    dtype: str = "auto"
    compile: bool = False
    precision: str = "bf16"
    compile_cache: Path | None = None
    warmup_sizes: tuple[tuple[int, int], ...] = ()
    weights: WeightSources = field(default_factory=WeightSources)
    adapters: AdapterLimits = field(default_factory=AdapterLimits)


def parse_sizes(text: str) -> tuple[tuple[int, int], ...]:
    """`1024x1024,832x1216` as (width, height) pairs; empty text: none."""
    pairs = (part.strip().lower().split("x") for part in text.split(",") if part.strip())
    return tuple((int(width), int(height)) for width, height in pairs)
