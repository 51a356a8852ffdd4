"""Stable Diffusion XL: SDXL-Lightning, SDXL-Turbo, `tiny`, `sdxl-random` and any SDXL diffusers folder.

Its pipelines are diffusers' StableDiffusionXL{,Img2Img,Inpaint}Pipeline. A prompt is read by two CLIP
encoders (77 tokens each); the call takes four text tensors (the prompt's and, under guidance, the
negative prompt's hidden states and pooled embeddings) and SDXL's size conditioning (`add_time_ids`), all of
which a step's end can cut. Image-to-image keeps its input's size; inpainting keeps per-row tensors the
callback cannot reach.
"""

from pathlib import Path
from typing import Any, ClassVar

import torch
from diffusers import (
    StableDiffusionXLImg2ImgPipeline,
    StableDiffusionXLInpaintPipeline,
    StableDiffusionXLPipeline,
)

from sfumato.domain import families
from sfumato.domain.inputs import IMAGE, INPAINT, TEXT
from sfumato.domain.models import LIGHTNING, ModelSpec
from sfumato.engine import previews
from sfumato.engine.base import RenderJob
from sfumato.engine.families.base import Embeddings, Family, Loaded, TextReader
from sfumato.engine.options import WeightSources

_ROWS = ["latents", "prompt_embeds", "add_text_embeds", "add_time_ids"]


class SDXLPipeline(Loaded):
    mode_classes: ClassVar[dict[str, type]] = {
        IMAGE: StableDiffusionXLImg2ImgPipeline,
        INPAINT: StableDiffusionXLInpaintPipeline,
    }
    row_tensors: ClassVar[dict[str, list[str]]] = {TEXT: _ROWS, IMAGE: _ROWS}
    factors = previews.SDXL
    sized_inputs = False

    @property
    def denoiser(self) -> torch.nn.Module:
        return self.pipe.unet

    def encode(self, job: RenderJob, cfg: bool) -> Embeddings:
        # The negatives are None without guidance: the pipeline never computes them then.
        prompt, negative, pooled, negative_pooled = self.pipe.encode_prompt(
            prompt=job.prompt,
            device=self.device,
            num_images_per_prompt=len(job.seeds),
            do_classifier_free_guidance=cfg,
            negative_prompt=job.negative_prompt,
        )
        return {
            "prompt_embeds": prompt,
            "negative_prompt_embeds": negative,
            "pooled_prompt_embeds": pooled,
            "negative_pooled_prompt_embeds": negative_pooled,
        }

    def reader(self) -> TextReader:
        tokenizer = self.pipe.tokenizer
        return TextReader(tokenizer, tokenizer.model_max_length - 2, 2, "the text encoders read")


class SDXL(Family):
    traits = families.SDXL
    classes = frozenset({"StableDiffusionXLPipeline"})
    # What a hub repository of SDXL's layout holds for the pipeline, in its fp16 files (SDXL-Turbo's too).
    hub_files = (
        "model_index.json",
        "scheduler/*",
        "tokenizer/*",
        "tokenizer_2/*",
        "*/config.json",
        "text_encoder/model.fp16.safetensors",
        "text_encoder_2/model.fp16.safetensors",
        "unet/diffusion_pytorch_model.fp16.safetensors",
        "vae/diffusion_pytorch_model.fp16.safetensors",
    )
    loaded = SDXLPipeline

    def build(self, spec: ModelSpec, device: torch.device, dtype: torch.dtype, sources: WeightSources) -> Any:
        if spec.weights == LIGHTNING:
            from sfumato.engine.lightning import build_lightning_pipeline, locate_weights

            return build_lightning_pipeline(locate_weights(spec, sources), device, dtype)
        return super().build(spec, device, dtype, sources)

    def tiny(self, device: torch.device) -> Any:
        from sfumato.engine.tiny import build_tiny_pipeline

        return build_tiny_pipeline(device)

    def random(self, device: torch.device, dtype: torch.dtype) -> Any:
        from sfumato.engine.sdxl_random import build_sdxl_random_pipeline

        return build_sdxl_random_pipeline(device, dtype)

    def pretrained(self, folder: Path, device: torch.device, dtype: torch.dtype) -> Any:
        # The fp16 files where the folder has them (as the hub's do), the plain ones otherwise.
        variant = "fp16" if any(folder.glob("unet/*.fp16.safetensors")) else None
        pipe = StableDiffusionXLPipeline.from_pretrained(folder, variant=variant, use_safetensors=True)
        return pipe.to(device, dtype)


FAMILY = SDXL()
