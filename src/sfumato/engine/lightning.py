"""SDXL-Lightning: SDXL base 1.0 with ByteDance's distilled UNet, from the hub or local folders.

The UNet weights are `sdxl_lightning_{N}step_unet.safetensors` from ByteDance/SDXL-Lightning; the rest
(text encoders, tokenizers, VAE, configs) comes from stabilityai/stable-diffusion-xl-base-1.0, fp16
variant. The scheduler is Euler with trailing timesteps, as ByteDance recommends.
"""

from dataclasses import dataclass
from pathlib import Path

import torch
from diffusers import EulerDiscreteScheduler, StableDiffusionXLPipeline, UNet2DConditionModel
from safetensors.torch import load_file

from sfumato.domain.errors import ModelUnavailable
from sfumato.domain.models import ModelSpec
from sfumato.engine.hub import reason
from sfumato.engine.options import WeightSources

# What the pipeline reads from SDXL base: everything but its own 5 GB UNet weights.
BASE_FILES = (
    "model_index.json",
    "scheduler/*",
    "tokenizer/*",
    "tokenizer_2/*",
    "text_encoder/config.json",
    "text_encoder/model.fp16.safetensors",
    "text_encoder_2/config.json",
    "text_encoder_2/model.fp16.safetensors",
    "unet/config.json",
    "vae/config.json",
    "vae/diffusion_pytorch_model.fp16.safetensors",
)


def unet_filename(steps: int) -> str:
    return f"sdxl_lightning_{steps}step_unet.safetensors"


@dataclass(frozen=True)
class LightningWeights:
    base: Path  # a diffusers folder of SDXL base
    unet: Path  # the Lightning UNet's safetensors file


def _fix(spec: ModelSpec, sources: WeightSources, problem: str) -> ModelUnavailable:
    fetch = (
        "start once with network access (about 7 GB is downloaded)"
        if sources.allow_download
        else "start once with SFUMATO_ALLOW_DOWNLOAD=1 and network access (about 7 GB)"
    )
    return ModelUnavailable(
        f"model {spec.name!r} cannot start: {problem}. To fix: {fetch}, or fetch the files with "
        "`hf download` (docs/models.md, 'Model weights'), or set SFUMATO_BASE_MODEL and "
        "SFUMATO_LIGHTNING_REPO to local folders that hold them, or run with --model tiny"
    )


def locate_weights(spec: ModelSpec, sources: WeightSources) -> LightningWeights:
    """Find the weights locally, or download them when allowed; ModelUnavailable in one line if not."""
    # Imported here: huggingface_hub reads its environment (HF_HUB_OFFLINE, HF_HOME) at import.
    from huggingface_hub import hf_hub_download, snapshot_download

    assert spec.lightning_steps is not None
    offline = not sources.allow_download
    filename = unet_filename(spec.lightning_steps)

    base = Path(sources.base_model).expanduser()
    if base.is_dir():
        if not (base / "model_index.json").is_file():
            raise _fix(spec, sources, f"{base} is not a diffusers folder (no model_index.json)")
    else:
        try:
            base = Path(
                snapshot_download(
                    sources.base_model, allow_patterns=list(BASE_FILES), local_files_only=offline
                )
            )
        except Exception as error:
            raise _fix(
                spec, sources, f"SDXL base ({sources.base_model}) is not here: {reason(error)}"
            ) from None

    repo = Path(sources.lightning_repo).expanduser()
    if repo.is_dir():
        unet = repo / filename
        if not unet.is_file():
            raise _fix(spec, sources, f"{unet} does not exist")
    else:
        try:
            unet = Path(hf_hub_download(sources.lightning_repo, filename, local_files_only=offline))
        except Exception as error:
            raise _fix(spec, sources, f"{filename} is not here: {reason(error)}") from None
    return LightningWeights(base=base, unet=unet)


def build_lightning_pipeline(
    weights: LightningWeights, device: torch.device, dtype: torch.dtype
) -> StableDiffusionXLPipeline:
    # 1. The distilled UNet: SDXL's architecture with ByteDance's weights.
    unet = UNet2DConditionModel.from_config(UNet2DConditionModel.load_config(weights.base, subfolder="unet"))
    unet.load_state_dict(load_file(weights.unet))
    # 2. The rest of SDXL base, from its fp16 files. (No dtype argument: diffusers renamed it
    #    between releases; casting afterwards works with every one.)
    pipe = StableDiffusionXLPipeline.from_pretrained(
        weights.base, unet=unet, variant="fp16", use_safetensors=True
    )
    # 3. Lightning's scheduler: Euler, trailing timesteps.
    pipe.scheduler = EulerDiscreteScheduler.from_config(pipe.scheduler.config, timestep_spacing="trailing")
    return pipe.to(device, dtype)
