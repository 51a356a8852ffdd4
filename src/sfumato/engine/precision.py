"""SFUMATO_PRECISION: `bf16` runs the UNet in the pipeline's dtype; `fp8` puts its linear layers in FP8.

FP8 goes through torchao (an optional dependency, imported only when fp8 is asked): dynamic FP8 activations
and FP8 weights with one scale a row, on the tensor cores' FP8 matmul, which CUDA GPUs have from compute
capability 8.9 (Ada, Hopper, Blackwell). Anywhere else fp8 is refused at start, in one line, rather than
emulated slowly. It changes the images beyond rounding (docs/models.md, docs/benchmarks.md): it is the
operator's choice, never a default.
"""

import importlib.util
from typing import Any

import torch

from sfumato.domain.errors import PrecisionUnavailable

PRECISIONS = ("bf16", "fp8")
FP8_CAPABILITY = (8, 9)
# torch._scaled_mm wants both dimensions of an FP8 weight divisible by 16; other layers stay in bf16.
_FP8_MULTIPLE = 16


def check(precision: str, device: torch.device, dtype: torch.dtype) -> None:
    """Raise PrecisionUnavailable, a line saying why and what to do, when `precision` cannot run here."""
    if precision not in PRECISIONS:
        raise PrecisionUnavailable(f"unknown precision {precision!r}; known: {', '.join(PRECISIONS)}")
    if precision != "fp8":
        return
    where = "SFUMATO_PRECISION=fp8 needs a CUDA GPU of compute capability 8.9 or newer (Ada, Hopper)"
    if device.type != "cuda":
        raise PrecisionUnavailable(f"{where}; this process runs on {device.type}: use bf16")
    major, minor = torch.cuda.get_device_capability(device)
    if (major, minor) < FP8_CAPABILITY:
        name = torch.cuda.get_device_name(device)
        raise PrecisionUnavailable(f"{where}; {name} is {major}.{minor}: use bf16")
    if dtype != torch.bfloat16:
        raise PrecisionUnavailable(
            f"SFUMATO_PRECISION=fp8 runs beside bfloat16, not {str(dtype).removeprefix('torch.')}: "
            "set SFUMATO_DTYPE to auto or bfloat16"
        )
    if importlib.util.find_spec("torchao") is None:
        raise PrecisionUnavailable("SFUMATO_PRECISION=fp8 needs torchao: pip install 'sfumato[fp8]'")


def fits_fp8(module: torch.nn.Module, _name: str = "") -> bool:
    """The layers FP8 takes: linear ones whose both dimensions the FP8 matmul accepts."""
    return (
        isinstance(module, torch.nn.Linear)
        and module.in_features % _FP8_MULTIPLE == 0
        and module.out_features % _FP8_MULTIPLE == 0
    )


def apply(denoiser: Any, precision: str) -> None:
    """Quantize the denoiser's linear layers (SDXL's UNet, FLUX's or SD3's transformer) for `precision`
    (nothing for bf16); after `check` has passed."""
    if precision != "fp8":
        return
    from torchao.quantization import Float8DynamicActivationFloat8WeightConfig, PerRow, quantize_

    quantize_(denoiser, Float8DynamicActivationFloat8WeightConfig(granularity=PerRow()), filter_fn=fits_fp8)
