"""`flux-random`: FLUX.1 [schnell]'s exact architecture with random weights, for speed runs on a GPU.

The shapes are those of black-forest-labs/FLUX.1-schnell's configs: a transformer of 19 double and 38 single
blocks (11.9 billion parameters), CLIP-L and T5-XXL's encoder (4.8 billion), and FLUX's 16-channel VAE;
the tokenizers are the offline ones (their ids fit both encoders' tables). Built on the target device in
the target dtype, module by module, so a GPU holds bf16 weights only (about 34 GB); a CPU is not enough.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch
from diffusers import AutoencoderKL, FlowMatchEulerDiscreteScheduler, FluxPipeline, FluxTransformer2DModel
from transformers import CLIPTextConfig, CLIPTextModel, T5Config, T5EncoderModel

from sfumato.engine.t5_tokenizer import build_t5_tokenizer
from sfumato.engine.tiny_flux import SCHNELL_SCHEDULER
from sfumato.engine.tokenizer import build_tokenizer, vocabulary

WEIGHTS_SEED = 0

TRANSFORMER = {
    "patch_size": 1,
    "in_channels": 64,
    "num_layers": 19,
    "num_single_layers": 38,
    "attention_head_dim": 128,
    "num_attention_heads": 24,
    "joint_attention_dim": 4096,
    "pooled_projection_dim": 768,
    "guidance_embeds": False,
    "axes_dims_rope": (16, 56, 56),
}
VAE = {
    "in_channels": 3,
    "out_channels": 3,
    "down_block_types": ("DownEncoderBlock2D",) * 4,
    "up_block_types": ("UpDecoderBlock2D",) * 4,
    "block_out_channels": (128, 256, 512, 512),
    "layers_per_block": 2,
    "latent_channels": 16,
    "norm_num_groups": 32,
    "sample_size": 1024,
    "scaling_factor": 0.3611,
    "shift_factor": 0.1159,
    "use_quant_conv": False,
    "use_post_quant_conv": False,
}
CLIP_L = {
    "vocab_size": 49408,
    "hidden_size": 768,
    "intermediate_size": 3072,
    "num_attention_heads": 12,
    "num_hidden_layers": 12,
    "projection_dim": 768,
    "max_position_embeddings": 77,
    "hidden_act": "quick_gelu",
}
T5_XXL = {
    "vocab_size": 32128,
    "d_model": 4096,
    "d_kv": 64,
    "d_ff": 10240,
    "num_layers": 24,
    "num_heads": 64,
    "relative_attention_num_buckets": 32,
    "relative_attention_max_distance": 128,
    "feed_forward_proj": "gated-gelu",
}


def _offline_clip_ids() -> dict[str, int]:
    """The offline tokenizer's start and end ids: CLIP pools the hidden state at the end token."""
    vocab = vocabulary()
    return {
        "bos_token_id": vocab["<|startoftext|>"],
        "eos_token_id": vocab["<|endoftext|>"],
        "pad_token_id": 1,
    }


@contextmanager
def _made_as(dtype: torch.dtype) -> Iterator[None]:
    """New parameters in `dtype`: a 12-billion-parameter module is never held in float32."""
    before = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        yield
    finally:
        torch.set_default_dtype(before)


def build_components(device: torch.device | str, dtype: torch.dtype = torch.float32) -> dict[str, Any]:
    """The four networks, with random weights, on `device` (which may be `meta`, to count them)."""
    with torch.random.fork_rng(devices=[]), torch.device(device), _made_as(dtype):
        torch.manual_seed(WEIGHTS_SEED)
        return {
            "transformer": FluxTransformer2DModel(**TRANSFORMER),
            "vae": AutoencoderKL(**VAE),
            "text_encoder": CLIPTextModel(CLIPTextConfig(**CLIP_L, **_offline_clip_ids())),
            "text_encoder_2": T5EncoderModel(T5Config(**T5_XXL)),
        }


def build_flux_random_pipeline(device: torch.device, dtype: torch.dtype) -> FluxPipeline:
    pipe = FluxPipeline(
        **build_components(device, dtype),
        tokenizer=build_tokenizer(),
        tokenizer_2=build_t5_tokenizer(),
        scheduler=FlowMatchEulerDiscreteScheduler(**SCHNELL_SCHEDULER),
    )
    return pipe.to(device, dtype)
