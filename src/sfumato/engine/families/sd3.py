"""Stable Diffusion 3: SD3.5 Large Turbo, `tiny-sd3` and any SD3 diffusers folder.

Its pipelines are diffusers' StableDiffusion3{,Img2Img,Inpaint}Pipeline. A prompt is read by two CLIP
encoders (77 tokens) and T5 (the model's sequence length, 256 by default); under classifier-free guidance
a negative prompt is encoded too. A step's end can cut text-to-image's latents, text states and pooled
embeddings; image-to-image and inpainting keep pooled embeddings the callback cannot reach, so a job that
leaves those batches runs on and is discarded.
"""

from pathlib import Path
from typing import Any, ClassVar

import torch
from diffusers import (
    StableDiffusion3Img2ImgPipeline,
    StableDiffusion3InpaintPipeline,
    StableDiffusion3Pipeline,
)

from sfumato.domain import families
from sfumato.domain.inputs import IMAGE, INPAINT, TEXT
from sfumato.engine.base import RenderJob
from sfumato.engine.families.base import Embeddings, Family, Loaded, TextReader
from sfumato.engine.hub import dtype_argument
from sfumato.engine.previews import Factors

# SD3's VAE (16 channels): ComfyUI's latent_formats.SD3.
SD3_FACTORS = Factors(
    rgb=(
        (-0.0922, -0.0175, 0.0749),
        (0.0311, 0.0633, 0.0954),
        (0.1994, 0.0927, 0.0458),
        (0.0856, 0.0339, 0.0902),
        (0.0587, 0.0272, -0.0496),
        (-0.0006, 0.1104, 0.0309),
        (0.0978, 0.0306, 0.0427),
        (-0.0042, 0.1038, 0.1358),
        (-0.0194, 0.0020, 0.0669),
        (-0.0488, 0.0130, -0.0268),
        (0.0922, 0.0988, 0.0951),
        (-0.0278, 0.0524, -0.0542),
        (0.0332, 0.0456, 0.0895),
        (-0.0069, -0.0030, -0.0810),
        (-0.0596, -0.0465, -0.0293),
        (-0.1448, -0.1463, -0.1189),
    ),
    bias=(0.2394, 0.2135, 0.1925),
)


class SD3Loaded(Loaded):
    mode_classes: ClassVar[dict[str, type]] = {
        IMAGE: StableDiffusion3Img2ImgPipeline,
        INPAINT: StableDiffusion3InpaintPipeline,
    }
    row_tensors: ClassVar[dict[str, list[str]]] = {TEXT: ["latents", "prompt_embeds", "pooled_prompt_embeds"]}
    factors = SD3_FACTORS

    @property
    def denoiser(self) -> torch.nn.Module:
        return self.pipe.transformer

    @property
    def sequence(self) -> int:
        return self.spec.text_sequence or families.SD3.sequence_length or 256

    def encode(self, job: RenderJob, cfg: bool) -> Embeddings:
        prompt, negative, pooled, negative_pooled = self.pipe.encode_prompt(
            prompt=job.prompt,
            prompt_2=None,
            prompt_3=None,
            device=self.device,
            num_images_per_prompt=len(job.seeds),
            do_classifier_free_guidance=cfg,
            negative_prompt=job.negative_prompt,
            max_sequence_length=self.sequence,
        )
        return {
            "prompt_embeds": prompt,
            "negative_prompt_embeds": negative,
            "pooled_prompt_embeds": pooled,
            "negative_pooled_prompt_embeds": negative_pooled,
        }

    def extras(self) -> dict[str, Any]:
        return {"max_sequence_length": self.sequence}

    def reader(self) -> TextReader:
        if self.pipe.tokenizer_3 is None:  # a folder without T5: the CLIP encoders read alone
            tokenizer = self.pipe.tokenizer
            return TextReader(tokenizer, tokenizer.model_max_length - 2, 2, "the text encoders read")
        return TextReader(self.pipe.tokenizer_3, self.sequence - 1, 1, "the T5 text encoder reads")


class SD3(Family):
    traits = families.SD3
    classes = frozenset({"StableDiffusion3Pipeline"})
    # The diffusers parts of stabilityai/stable-diffusion-3.5-large-turbo, not its single-file checkpoint,
    # the ComfyUI encoders of `text_encoders/`, or the fp16 copies of its text encoders (the plain files are
    # already half precision: the same bytes again).
    hub_files = (
        "model_index.json",
        "scheduler/*",
        "text_encoder/*",
        "text_encoder_2/*",
        "text_encoder_3/*",
        "tokenizer/*",
        "tokenizer_2/*",
        "tokenizer_3/*",
        "transformer/*",
        "vae/*",
    )
    hub_skip = ("*fp16*",)
    loaded = SD3Loaded

    def tiny(self, device: torch.device) -> Any:
        from sfumato.engine.tiny_sd3 import build_tiny_sd3_pipeline

        return build_tiny_sd3_pipeline(device)

    def pretrained(self, folder: Path, device: torch.device, dtype: torch.dtype) -> Any:
        return StableDiffusion3Pipeline.from_pretrained(folder, **dtype_argument(dtype)).to(device, dtype)


FAMILY = SD3()
