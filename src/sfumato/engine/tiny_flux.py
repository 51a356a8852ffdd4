"""`tiny-flux`: a FLUX pipeline of the real classes with small random weights, built in memory, the way
diffusers' own fast tests build theirs (tests/pipelines/flux, `get_dummy_components`), with tokenizers made
here rather than fetched. Its VAE keeps FLUX's 16 latent channels and 8x downsampling, so latents (and their
previews) have FLUX's shape for an image size. Deterministic; its images are noise.
"""

import torch
from diffusers import FlowMatchEulerDiscreteScheduler, FluxPipeline, FluxTransformer2DModel
from transformers import CLIPTextModel, T5Config, T5EncoderModel

from sfumato.engine.t5_tokenizer import build_t5_tokenizer, vocabulary_size
from sfumato.engine.tiny import WEIGHTS_SEED, clip_config, tiny_vae
from sfumato.engine.tokenizer import build_tokenizer

TEXT_DIM = 32

# FLUX.1-schnell's scheduler (its scheduler_config.json): flow matching, no dynamic shift.
SCHNELL_SCHEDULER = {
    "base_image_seq_len": 256,
    "base_shift": 0.5,
    "max_image_seq_len": 4096,
    "max_shift": 1.15,
    "num_train_timesteps": 1000,
    "shift": 1.0,
    "use_dynamic_shifting": False,
}


def t5_config(d_model: int) -> T5Config:
    return T5Config(
        vocab_size=vocabulary_size(),
        d_model=d_model,
        d_kv=8,
        d_ff=37,
        num_layers=2,
        num_heads=4,
        relative_attention_num_buckets=8,
        feed_forward_proj="gated-gelu",
    )


def build_tiny_flux_pipeline(device: torch.device | str = "cpu") -> FluxPipeline:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(WEIGHTS_SEED)
        transformer = FluxTransformer2DModel(
            patch_size=1,
            in_channels=64,  # 16 latent channels, packed 2x2
            num_layers=1,
            num_single_layers=1,
            attention_head_dim=16,
            num_attention_heads=2,
            joint_attention_dim=TEXT_DIM,  # T5's width
            pooled_projection_dim=TEXT_DIM,  # CLIP's pooled output
            guidance_embeds=False,  # as schnell
            axes_dims_rope=(4, 4, 8),
        )
        vae = tiny_vae(latent_channels=16, shift_factor=0.1159, scaling_factor=0.3611)
        text_encoder = CLIPTextModel(clip_config(TEXT_DIM))
        text_encoder_2 = T5EncoderModel(t5_config(TEXT_DIM))
    pipe = FluxPipeline(
        scheduler=FlowMatchEulerDiscreteScheduler(**SCHNELL_SCHEDULER),
        text_encoder=text_encoder,
        text_encoder_2=text_encoder_2,
        tokenizer=build_tokenizer(),
        tokenizer_2=build_t5_tokenizer(),
        transformer=transformer,
        vae=vae,
    )
    return pipe.to(device)
