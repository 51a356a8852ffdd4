"""The engine and the worker's batches (docs/models.md, docs/architecture.md "Batches")."""

import os
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings

from sfumato.config.base import PREFIX, shown


def _cpus() -> int:
    """The CPUs this process may run on (a container's share), not the machine's count."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class EngineSettings(BaseSettings):
    model_config = PREFIX

    # The engine (docs/models.md).
    device: Literal["auto", "cuda", "mps", "cpu"] = Field(
        "auto", description="`cuda`, `mps` or `cpu`; `auto`: the first of them present"
    )
    dtype: Literal["auto", "bfloat16", "float16", "float32"] = Field(
        "auto", description="`bfloat16`, `float16` or `float32`; `auto`: cuda bf16, mps fp16, cpu fp32"
    )
    base_model: str = Field(
        "stabilityai/stable-diffusion-xl-base-1.0",
        description="SDXL base for the sdxl-lightning models: a Hugging Face hub id or a local diffusers "
        "folder",
    )
    lightning_repo: str = Field(
        "ByteDance/SDXL-Lightning",
        description="where `sdxl_lightning_{N}step_unet.safetensors` lies: a hub id or a local folder",
    )
    allow_download: bool = Field(True, description="fetch missing weights from the hub at start-up")
    compile: bool = Field(
        False,
        description="`torch.compile` the UNet and the VAE decoder, with fused QKV projections and "
        "channels-last memory: each warm-up size compiles at start (minutes the first time; kernels are kept "
        "in `$SFUMATO_DATA_DIR/compile-cache` for the next start unless `TORCHINDUCTOR_CACHE_DIR` is set)",
    )
    warmup_sizes: str = Field(
        "",
        pattern=r"^(\d+x\d+(,\d+x\d+)*)?$",
        description="the sizes (`1024x1024,832x1216`) made once before `/readyz` answers, so that with "
        "`SFUMATO_COMPILE` no request waits for a compilation",
        json_schema_extra=shown("the model's native size"),
    )
    precision: Literal["bf16", "fp8"] = Field(
        "bf16",
        description="`bf16`: the UNet in `SFUMATO_DTYPE`; `fp8`: its linear layers in FP8 (torchao: `pip "
        "install sfumato[fp8]`), on CUDA GPUs of compute capability 8.9 or newer; refused at start elsewhere",
    )

    # The worker's batches (docs/architecture.md, "Batches").
    batch_images: int = Field(
        8,
        ge=1,
        le=64,
        description="the most images one pipeline call makes (jobs of one model, size, step count and "
        "guidance)",
    )
    batch_wait_ms: float = Field(
        10.0,
        ge=0,
        le=1000,
        description="how long a batch that is not full waits for more compatible jobs, only under load (the "
        "last batch held several jobs)",
    )
    encode_threads: int = Field(
        default_factory=lambda: min(8, _cpus()),
        ge=1,
        le=32,
        description="threads that encode and store finished images while the engine makes the next batch",
        json_schema_extra=shown("the CPUs this process may use, at most 8"),
    )
    png_compress_level: int = Field(
        4,
        ge=0,
        le=9,
        description="zlib level of the PNG files made, 0 (none, fastest) to 9: 4 made files as small as 6 "
        "in 80% of its time, and 12% smaller than 1 in 1.8 times its time (docs/benchmarks.md)",
    )
