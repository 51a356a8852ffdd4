"""How the VAE decodes a batch: all its images at once when they fit, one at a time (slicing) past a memory
budget. The decoder was half of a batched call when it always went one at a time, so batching bought the
UNet's share only (docs/benchmarks.md). A batch decoded at once equals its images decoded alone up to the
rounding of batched kernels, the tolerance the UNet's batching already has (tests/engine/test_batch.py).

The budget: half of the memory free on the device now (CUDA: `torch.cuda.mem_get_info`; CPU: the
system's available memory), against an estimate of one image's decoder peak from the VAE's widest block:
six live activations of that width at the image's full size, in the VAE's dtype (SDXL at 1024x1024 in
bf16: 512 channels x 1024 x 1024 x 2 bytes x 6, about 6 GiB, a generous bound)."""

import os

import torch

LIVE_ACTIVATIONS = 6
SHARE_OF_FREE = 0.5
# Where a batch decodes at once. On CPU one at a time was measured faster (tiny, 256x256, batch 8 on 2 EPYC
# cores: 8.45 images/s sliced against 7.07 at once; docs/benchmarks.md): a sliced decode stays in cache.
BATCHED_DEVICES = frozenset({"cuda"})


def free_bytes(device: torch.device) -> int:
    if device.type == "cuda":
        free, _total = torch.cuda.mem_get_info(device)
        return int(free)
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError):
        return 0


def peak_bytes(widest_channels: int, width: int, height: int, dtype: torch.dtype) -> int:
    """One image's decoder peak, estimated (see the module's text)."""
    return LIVE_ACTIVATIONS * widest_channels * width * height * torch.finfo(dtype).bits // 8


def at_once(
    images: int, width: int, height: int, *, widest_channels: int, dtype: torch.dtype, free: int
) -> bool:
    """Whether a batch of `images` may be decoded in one call within the budget."""
    return images * peak_bytes(widest_channels, width, height, dtype) <= free * SHARE_OF_FREE
