"""FLUX.1: FLUX.1 [schnell], `tiny-flux`, `flux-random` and any FLUX diffusers folder.

Its pipelines are diffusers' Flux{,Img2Img,Inpaint}Pipeline. A prompt is read by T5 (up to the model's
sequence length, 256 tokens for schnell) for the transformer's text stream, and by CLIP (77 tokens) for one
pooled embedding. There is no negative prompt and no classifier-free guidance: schnell ignores the scale,
and a guidance-distilled model (FLUX.1 [dev]) takes it as an input (embedded guidance). Latents are packed
2x2 into tokens; a step's end can cut none of the call's per-row tensors (its pooled embeddings and
guidance are out of the callback's reach), so a job that leaves the batch runs on and is discarded.
"""

import json
from pathlib import Path
from typing import Any, ClassVar

import torch
from diffusers import FluxImg2ImgPipeline, FluxInpaintPipeline, FluxPipeline

from sfumato.domain import families
from sfumato.domain.families import EMBEDDED, NO_GUIDANCE
from sfumato.domain.inputs import IMAGE, INPAINT
from sfumato.engine.base import RenderJob
from sfumato.engine.families.base import Embeddings, Family, Loaded, TextReader
from sfumato.engine.hub import dtype_argument
from sfumato.engine.previews import Factors

# FLUX's VAE (16 channels): ComfyUI's latent_formats.Flux.
FLUX_FACTORS = Factors(
    rgb=(
        (-0.0346, 0.0244, 0.0681),
        (0.0034, 0.0210, 0.0687),
        (0.0275, -0.0668, -0.0433),
        (-0.0174, 0.0160, 0.0617),
        (0.0859, 0.0721, 0.0329),
        (0.0004, 0.0383, 0.0115),
        (0.0405, 0.0861, 0.0915),
        (-0.0236, -0.0185, -0.0259),
        (-0.0245, 0.0250, 0.1180),
        (0.1008, 0.0755, -0.0421),
        (-0.0515, 0.0201, 0.0011),
        (0.0428, -0.0012, -0.0036),
        (0.0817, 0.0765, 0.0749),
        (-0.1264, -0.0522, -0.1103),
        (-0.0280, -0.0881, -0.0499),
        (-0.1262, -0.0982, -0.0778),
    ),
    bias=(-0.0329, -0.0718, -0.0851),
)


class FluxLoaded(Loaded):
    mode_classes: ClassVar[dict[str, type]] = {IMAGE: FluxImg2ImgPipeline, INPAINT: FluxInpaintPipeline}
    row_tensors: ClassVar[dict[str, list[str]]] = {}
    factors = FLUX_FACTORS

    @property
    def denoiser(self) -> torch.nn.Module:
        return self.pipe.transformer

    @property
    def sequence(self) -> int:
        return self.spec.text_sequence or families.FLUX.sequence_length or 512

    def encode(self, job: RenderJob, cfg: bool) -> Embeddings:
        prompt, pooled, _text_ids = self.pipe.encode_prompt(
            prompt=job.prompt,
            prompt_2=None,
            device=self.device,
            num_images_per_prompt=len(job.seeds),
            max_sequence_length=self.sequence,
        )
        return {"prompt_embeds": prompt, "pooled_prompt_embeds": pooled}

    def extras(self) -> dict[str, Any]:
        return {"max_sequence_length": self.sequence}

    def reader(self) -> TextReader:
        return TextReader(self.pipe.tokenizer_2, self.sequence - 1, 1, "the T5 text encoder reads")

    def latent_picture(self, latents: torch.Tensor, width: int, height: int) -> torch.Tensor:
        unpacked = FluxPipeline._unpack_latents(latents[None], height, width, self.pipe.vae_scale_factor)
        return unpacked[0]


class Flux(Family):
    traits = families.FLUX
    classes = frozenset({"FluxPipeline"})
    # The diffusers parts of black-forest-labs/FLUX.1-schnell, not its single-file checkpoints at the root.
    hub_files = (
        "model_index.json",
        "scheduler/*",
        "text_encoder/*",
        "text_encoder_2/*",
        "tokenizer/*",
        "tokenizer_2/*",
        "transformer/*",
        "vae/*",
    )
    loaded = FluxLoaded

    def tiny(self, device: torch.device) -> Any:
        from sfumato.engine.tiny_flux import build_tiny_flux_pipeline

        return build_tiny_flux_pipeline(device)

    def random(self, device: torch.device, dtype: torch.dtype) -> Any:
        from sfumato.engine.flux_random import build_flux_random_pipeline

        return build_flux_random_pipeline(device, dtype)

    def pretrained(self, folder: Path, device: torch.device, dtype: torch.dtype) -> Any:
        return FluxPipeline.from_pretrained(folder, **dtype_argument(dtype)).to(device, dtype)

    def folder_fields(self, folder: Path) -> dict[str, Any]:
        """A transformer with a guidance embedding is FLUX.1 [dev]'s kind (28 steps, scale 3.5); one
        without, schnell's (4 steps, no guidance)."""
        config = json.loads((folder / "transformer" / "config.json").read_text())
        if config.get("guidance_embeds"):
            return {"guidance": EMBEDDED, "default_steps": 28, "default_guidance_scale": 3.5}
        return {"guidance": NO_GUIDANCE, "default_steps": 4, "max_steps": 8}


FAMILY = Flux()
