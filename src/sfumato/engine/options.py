"""What an engine is built from, handed down by whoever reads the settings (services.container)."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class WeightSources:
    """Where SDXL-Lightning's weights come from (docs/settings.md: SFUMATO_BASE_MODEL,
    SFUMATO_LIGHTNING_REPO, SFUMATO_ALLOW_DOWNLOAD): each a hub id or a local folder."""

    base_model: str = "stabilityai/stable-diffusion-xl-base-1.0"
    lightning_repo: str = "ByteDance/SDXL-Lightning"
    allow_download: bool = True


@dataclass(frozen=True)
class EngineOptions:
    """How to build an engine (docs/settings.md: SFUMATO_DEVICE, SFUMATO_DTYPE, SFUMATO_COMPILE)."""

    device: str = "auto"
    dtype: str = "auto"
    compile: bool = False
    weights: WeightSources = field(default_factory=WeightSources)
