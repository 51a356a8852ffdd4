"""Which device and precision to run on: the settings' choice, or the best one present; what it holds."""

import gc
import os
from typing import Any

import torch
from diffusers import UNet2DConditionModel

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


def tune(model: Any, *, compile: bool, precision: str = "bf16") -> None:
    """What makes a loaded pipeline (engine/families: its `denoiser` is SDXL's UNet or a transformer)
    faster: beyond rounding, only with `precision` fp8 (engine/precision.py).

    On CUDA: TF32 matmuls where anything runs in float32 (bf16 and fp16 run on tensor cores anyway).
    With `compile`: fused QKV projections, channels-last memory for the convolutional networks (a UNet, the
    VAE), and torch.compile of the denoiser and the VAE decoder (the two costs of an image), as diffusers'
    guides to SDXL and FLUX speed describe. Compilation happens at the first call of each shape: the
    warm-up pays it, not a request. FP8 quantizes after the fusion (which concatenates weights) and before
    the compilation (which then fuses the quantization of activations into the kernels around the FP8
    matmuls).
    """
    denoiser, vae = model.denoiser, model.vae
    if model.device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    if compile:
        denoiser.fuse_qkv_projections()
        vae.fuse_qkv_projections()
        if isinstance(denoiser, UNet2DConditionModel):
            denoiser.to(memory_format=torch.channels_last)
        vae.to(memory_format=torch.channels_last)
    precisions.apply(denoiser, precision)
    if compile:
        denoiser.compile()
        vae.decoder.compile()


def device_memory(setting: str = "auto") -> int:
    """What the device the engine runs on holds: a GPU's memory, else the machine's."""
    device = pick_device(setting)
    if device.type == "cuda":
        _free, total = torch.cuda.mem_get_info(device)
        return int(total)
    return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def free_memory() -> None:
    """After models were unloaded: collect their objects, and give CUDA's cached blocks back."""
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
