"""`tiny-sd3`: a Stable Diffusion 3 pipeline of the real classes with small random weights, built in memory
the way diffusers' own fast tests build theirs (tests/pipelines/stable_diffusion_3, `get_dummy_components`),
with tokenizers made here. Two CLIP encoders and a T5 one, as SD3.5's; its VAE keeps SD3's 16 latent channels
and 8x downsampling, and its transformer SD3's 2x2 patches. Deterministic; its images are noise.
"""

import torch
from diffusers import FlowMatchEulerDiscreteScheduler, SD3Transformer2DModel, StableDiffusion3Pipeline
from transformers import CLIPTextModelWithProjection, T5EncoderModel

from sfumato.engine.t5_tokenizer import build_t5_tokenizer
from sfumato.engine.tiny import WEIGHTS_SEED, clip_config, tiny_vae
from sfumato.engine.tiny_flux import t5_config
from sfumato.engine.tokenizer import build_tokenizer

CLIP_DIM = 32
T5_DIM = 2 * CLIP_DIM  # SD3 pads both CLIP encoders' hidden states, side by side, to T5's width


def build_tiny_sd3_pipeline(device: torch.device | str = "cpu") -> StableDiffusion3Pipeline:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(WEIGHTS_SEED)
        transformer = SD3Transformer2DModel(
            sample_size=32,
            patch_size=2,
            in_channels=16,
            out_channels=16,
            num_layers=1,
            attention_head_dim=8,
            num_attention_heads=4,
            caption_projection_dim=32,
            joint_attention_dim=T5_DIM,
            pooled_projection_dim=2 * CLIP_DIM,  # both CLIP encoders' pooled embeddings
            pos_embed_max_size=128,  # patches a side: 2048 pixels
        )
        vae = tiny_vae(latent_channels=16, shift_factor=0.0609, scaling_factor=1.5305)
        text_encoder = CLIPTextModelWithProjection(clip_config(CLIP_DIM))
        text_encoder_2 = CLIPTextModelWithProjection(clip_config(CLIP_DIM))
        text_encoder_3 = T5EncoderModel(t5_config(T5_DIM))
    pipe = StableDiffusion3Pipeline(
        scheduler=FlowMatchEulerDiscreteScheduler(shift=3.0),  # SD3.5's
        text_encoder=text_encoder,
        text_encoder_2=text_encoder_2,
        text_encoder_3=text_encoder_3,
        tokenizer=build_tokenizer(),
        tokenizer_2=build_tokenizer(pad_token="!"),
        tokenizer_3=build_t5_tokenizer(),
        transformer=transformer,
        vae=vae,
    )
    return pipe.to(device)
