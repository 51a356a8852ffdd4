"""Model names to engines (API.md §2): what can be served here, and building it.

torch and diffusers are imported only to build an engine: naming and checking models stays cheap.
"""

from typing import TYPE_CHECKING

from sfumato.config import Settings
from sfumato.domain.errors import ModelUnavailable
from sfumato.domain.models import MODELS, ModelSpec

if TYPE_CHECKING:
    from sfumato.engine.pipeline import DiffusersEngine


def spec_for(name: str) -> ModelSpec:
    try:
        return MODELS[name]
    except KeyError:
        raise ModelUnavailable(f"unknown model {name!r}; known models: {', '.join(MODELS)}") from None


def check_available(name: str, settings: Settings) -> None:
    """Fail fast, before the server starts, with a one-line reason and how to fix it."""
    spec = spec_for(name)
    if spec.lightning_steps is not None:
        from sfumato.engine.lightning import locate_weights

        locate_weights(spec, settings)


def load_engine(name: str, settings: Settings) -> "DiffusersEngine":
    from sfumato.engine.device import pick_device, pick_dtype, tune
    from sfumato.engine.pipeline import DiffusersEngine

    spec = spec_for(name)
    device = pick_device(settings.device)
    if spec.name == "tiny":
        from sfumato.engine.tiny import build_tiny_pipeline

        pipe = build_tiny_pipeline(device)  # float32 always: its weights are made for it
    elif spec.name == "sdxl-random":
        from sfumato.engine.sdxl_random import build_sdxl_random_pipeline

        pipe = build_sdxl_random_pipeline(device, pick_dtype(settings.dtype, device))
    else:
        from sfumato.engine.lightning import build_lightning_pipeline, locate_weights

        weights = locate_weights(spec, settings)
        pipe = build_lightning_pipeline(weights, device, pick_dtype(settings.dtype, device))
    tune(pipe, compile=settings.compile)
    return DiffusersEngine(pipe, spec, compiled=settings.compile)


def device_warning(settings: Settings) -> str | None:
    """A line for the operator when a full-size model will run without a GPU."""
    import torch

    from sfumato.engine.device import pick_device

    if pick_device(settings.device).type == "cpu" and settings.model != "tiny":
        threads = torch.get_num_threads()
        return (
            f"no GPU found: {settings.model} will run on the CPU ({threads} threads), "
            "minutes an image; use --model tiny for smoke tests"
        )
    return None
