"""`sdxl-random`: SDXL-Lightning's exact architecture (sdxl_architecture.json) with random weights.

For speed runs on machines without the weights. Built on the target device, so a GPU builds its
3.5 billion parameters in seconds; on a CPU it needs about 14 GB of memory in float32.
"""

import json
from functools import cache
from importlib import resources
from typing import Any

import torch
from diffusers import AutoencoderKL, EulerDiscreteScheduler, StableDiffusionXLPipeline, UNet2DConditionModel
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

from sfumato.engine.tokenizer import build_tokenizer

WEIGHTS_SEED = 0


@cache
def architecture() -> dict[str, Any]:
    text = resources.files("sfumato.engine").joinpath("sdxl_architecture.json").read_text()
    return json.loads(text)


def build_components(device: torch.device | str) -> dict[str, Any]:
    """The four networks, with random weights, on `device` (which may be `meta`, to count them)."""
    config = architecture()
    with torch.random.fork_rng(devices=[]), torch.device(device):
        torch.manual_seed(WEIGHTS_SEED)
        return {
            "unet": UNet2DConditionModel.from_config(config["unet"]),
            "vae": AutoencoderKL.from_config(config["vae"]),
            "text_encoder": CLIPTextModel(CLIPTextConfig(**config["text_encoder"])),
            "text_encoder_2": CLIPTextModelWithProjection(CLIPTextConfig(**config["text_encoder_2"])),
        }


def build_sdxl_random_pipeline(device: torch.device, dtype: torch.dtype) -> StableDiffusionXLPipeline:
    scheduler_config = {k: v for k, v in architecture()["scheduler"].items() if not k.startswith("_")}
    pipe = StableDiffusionXLPipeline(
        **build_components(device),
        tokenizer=build_tokenizer(),
        tokenizer_2=build_tokenizer(pad_token="!"),
        scheduler=EulerDiscreteScheduler.from_config(scheduler_config),
    )
    return pipe.to(device, dtype)
