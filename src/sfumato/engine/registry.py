"""Model names to engines (docs/models.md): what can be served here, and building it.

torch and diffusers are imported only to build an engine: naming and checking models stays cheap. The
engine is handed what it needs (EngineOptions), never the settings.
"""

import logging
from typing import TYPE_CHECKING

from sfumato.domain.errors import ModelUnavailable
from sfumato.domain.models import MODELS, ModelSpec
from sfumato.engine.options import EngineOptions

if TYPE_CHECKING:
    import torch

    from sfumato.engine.pipeline import DiffusersEngine

log = logging.getLogger(__name__)


def spec_for(name: str) -> ModelSpec:
    try:
        return MODELS[name]
    except KeyError:
        raise ModelUnavailable(f"unknown model {name!r}; known models: {', '.join(MODELS)}") from None


def _device_and_dtype(spec: ModelSpec, options: EngineOptions) -> tuple["torch.device", "torch.dtype"]:
    import torch

    from sfumato.engine.device import pick_device, pick_dtype

    device = pick_device(options.device)
    # tiny is float32 always: its weights are made for it.
    return device, torch.float32 if spec.name == "tiny" else pick_dtype(options.dtype, device)


def check_available(name: str, options: EngineOptions) -> None:
    """Fail fast, before the server starts, with a one-line reason and how to fix it."""
    spec = spec_for(name)
    if options.precision != "bf16":
        from sfumato.engine import precision

        precision.check(options.precision, *_device_and_dtype(spec, options))
    if spec.lightning_steps is not None:
        from sfumato.engine.lightning import locate_weights

        locate_weights(spec, options.weights)


def load_engine(name: str, options: EngineOptions | None = None) -> "DiffusersEngine":
    from sfumato.engine import precision
    from sfumato.engine.device import tune
    from sfumato.engine.pipeline import DiffusersEngine

    options = options or EngineOptions()
    spec = spec_for(name)
    device, dtype = _device_and_dtype(spec, options)
    precision.check(options.precision, device, dtype)  # before minutes of loading, not after
    if options.compile and options.compile_cache is not None:
        from sfumato.engine.compile_cache import prepare

        prepare(options.compile_cache)
    if spec.name == "tiny":
        from sfumato.engine.tiny import build_tiny_pipeline

        pipe = build_tiny_pipeline(device)
    elif spec.name == "sdxl-random":
        from sfumato.engine.sdxl_random import build_sdxl_random_pipeline

        pipe = build_sdxl_random_pipeline(device, dtype)
    else:
        from sfumato.engine.lightning import build_lightning_pipeline, locate_weights

        weights = locate_weights(spec, options.weights)
        pipe = build_lightning_pipeline(weights, device, dtype)
    tune(pipe, compile=options.compile, precision=options.precision)
    return DiffusersEngine(pipe, spec, compiled=options.compile, warmup_sizes=options.warmup_sizes)


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
