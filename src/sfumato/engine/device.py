"""Which device and precision to run on: the settings' choice, or the best one present."""

from typing import Any

import torch

from sfumato.engine import precision as precisions


def pick_device(setting: str = "auto") -> torch.device:
    if setting != "auto":
        return torch.device(setting)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def pick_dtype(setting: str, device: torch.device) -> torch.dtype:
    if setting != "auto":
        return getattr(torch, setting)
    if device.type == "cuda":
        # bf16 has fp32's range, so the SDXL VAE does not overflow as it does in fp16.
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if device.type == "mps":
        return torch.float16
    return torch.float32


def tune(pipe: Any, *, compile: bool, precision: str = "bf16") -> None:
    """What makes an SDXL pipeline faster: beyond rounding, only with `precision` fp8 (engine/precision.py).

    On CUDA: TF32 matmuls where anything runs in float32 (bf16 and fp16 run on tensor cores anyway).
    With `compile`: fused QKV projections, channels-last UNet and VAE, and torch.compile of the UNet
    and the VAE decoder (the two costs of an image), as diffusers' guide to SDXL speed describes.
    Compilation happens at the first call of each shape: the warm-up pays it, not a request.
    FP8 quantizes after the fusion (which concatenates weights) and before the compilation (which then
    fuses the quantization of activations into the kernels around the FP8 matmuls).
    """
    if pipe.device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    if compile:
        pipe.fuse_qkv_projections()
        pipe.unet.to(memory_format=torch.channels_last)
        pipe.vae.to(memory_format=torch.channels_last)
    precisions.apply(pipe, precision)
    if compile:
        pipe.unet.compile()
        pipe.vae.decoder.compile()
