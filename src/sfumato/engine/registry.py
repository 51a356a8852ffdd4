"""Models to engines (docs/models.md): checking that a model can be served here, and building it through its
family (engine/families/).

torch and diffusers are imported only to build an engine: naming and checking models stays cheap. The
engine is handed what it needs (EngineOptions and the model's catalogue entry), never the settings.
"""

import logging
from typing import TYPE_CHECKING

from sfumato.domain.catalogue import Catalogue
from sfumato.domain.models import LIGHTNING, PRETRAINED, TINY, ModelSpec
from sfumato.engine.options import EngineOptions

if TYPE_CHECKING:
    import torch

    from sfumato.engine.pipeline import DiffusersEngine

log = logging.getLogger(__name__)


def spec_for(name: str) -> ModelSpec:
    """A built-in model by name; ModelUnavailable naming the known ones."""
    return Catalogue().spec(name)


def _spec(model: str | ModelSpec) -> ModelSpec:
    return model if isinstance(model, ModelSpec) else spec_for(model)


def _device_and_dtype(spec: ModelSpec, options: EngineOptions) -> tuple["torch.device", "torch.dtype"]:
    import torch

    from sfumato.engine.device import pick_device, pick_dtype

    device = pick_device(options.device)
    # The tiny models are float32 always: their weights are made for it.
    return device, torch.float32 if spec.weights == TINY else pick_dtype(options.dtype, device)


def check_available(model: str | ModelSpec, options: EngineOptions) -> None:
    """Fail fast, before the server starts, with a one-line reason and how to fix it."""
    spec = _spec(model)
    if options.precision != "bf16":
        from sfumato.engine import precision

        precision.check(options.precision, *_device_and_dtype(spec, options))
    if spec.weights == LIGHTNING:
        from sfumato.engine.lightning import locate_weights

        locate_weights(spec, options.weights)
    elif spec.weights == PRETRAINED:
        from sfumato.engine.families import family
        from sfumato.engine.hub import locate

        runs = family(spec.family)
        locate(spec, runs.hub_files, options.weights, runs.hub_skip)


def load_engine(model: str | ModelSpec, options: EngineOptions | None = None) -> "DiffusersEngine":
    from sfumato.engine import precision
    from sfumato.engine.device import tune
    from sfumato.engine.families import family
    from sfumato.engine.pipeline import DiffusersEngine

    options = options or EngineOptions()
    spec = _spec(model)
    device, dtype = _device_and_dtype(spec, options)
    precision.check(options.precision, device, dtype)  # before minutes of loading, not after
    if options.compile and options.compile_cache is not None:
        from sfumato.engine.compile_cache import prepare

        prepare(options.compile_cache)
    runs = family(spec.family)
    loaded = runs.adapt(runs.build(spec, device, dtype, options.weights), spec)
    tune(loaded, compile=options.compile, precision=options.precision)
    return DiffusersEngine(loaded, compiled=options.compile, warmup_sizes=options.warmup_sizes)


def device_warning(model: str | ModelSpec, options: EngineOptions) -> str | None:
    """A line for the operator when a full-size model will run without a GPU."""
    import torch

    from sfumato.engine.device import pick_device

    spec = _spec(model)
    if pick_device(options.device).type == "cpu" and spec.weights != TINY:
        threads = torch.get_num_threads()
        return (
            f"no GPU found: {spec.name} will run on the CPU ({threads} threads), "
            "minutes an image; use --model tiny for smoke tests"
        )
    return None
