"""Model names to engines (docs/models.md): what can be served here, and building it.

torch and diffusers are imported only to build an engine: naming and checking models stays cheap. The
engine is handed what it needs (EngineOptions), never the settings.
"""

from typing import TYPE_CHECKING

from sfumato.domain.errors import ModelUnavailable
from sfumato.domain.models import MODELS, ModelSpec
from sfumato.engine.options import EngineOptions

if TYPE_CHECKING:
    from sfumato.engine.pipeline import DiffusersEngine


def spec_for(name: str) -> ModelSpec:
    try:
        return MODELS[name]
    except KeyError:
        raise ModelUnavailable(f"unknown model {name!r}; known models: {', '.join(MODELS)}") from None


def check_available(name: str, options: EngineOptions) -> None:
    """Fail fast, before the server starts, with a one-line reason and how to fix it."""
    spec = spec_for(name)
    if spec.lightning_steps is not None:
        from sfumato.engine.lightning import locate_weights

        locate_weights(spec, options.weights)


def load_engine(name: str, options: EngineOptions | None = None) -> "DiffusersEngine":
    from sfumato.engine.device import pick_device, pick_dtype, tune
    from sfumato.engine.pipeline import DiffusersEngine

    options = options or EngineOptions()
    spec = spec_for(name)
    device = pick_device(options.device)
    if spec.name == "tiny":
        from sfumato.engine.tiny import build_tiny_pipeline

        pipe = build_tiny_pipeline(device)  # float32 always: its weights are made for it
    elif spec.name == "sdxl-random":
        from sfumato.engine.sdxl_random import build_sdxl_random_pipeline

        pipe = build_sdxl_random_pipeline(device, pick_dtype(options.dtype, device))
    else:
        from sfumato.engine.lightning import build_lightning_pipeline, locate_weights

        weights = locate_weights(spec, options.weights)
        pipe = build_lightning_pipeline(weights, device, pick_dtype(options.dtype, device))
    tune(pipe, compile=options.compile)
    return DiffusersEngine(pipe, spec, compiled=options.compile)


def device_warning(name: str, options: EngineOptions) -> str | None:
    """A line for the operator when a full-size model will run without a GPU."""
    import torch

    from sfumato.engine.device import pick_device

    if pick_device(options.device).type == "cpu" and name != "tiny":
        threads = torch.get_num_threads()
        return (
            f"no GPU found: {name} will run on the CPU ({threads} threads), "
            "minutes an image; use --model tiny for smoke tests"
        )
    return None
