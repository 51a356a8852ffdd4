"""A small picture of a job while it denoises: its latents seen through a linear approximation of the decoder
(the latent-to-RGB factors ComfyUI and others use for live previews; each family holds its own, for its VAE's
latent space), at the latents' own size (1/8 of the image's). No decoder call: a preview costs a small matrix
product and the copy of a 128x128 picture at 1024x1024."""

from dataclasses import dataclass

import torch
from PIL import Image as PILImage
from PIL.Image import Image


@dataclass(frozen=True)
class Factors:
    """Latent channel -> (r, g, b), and the bias, fitted to the decoded colours of one VAE's latent space."""

    rgb: tuple[tuple[float, float, float], ...]
    bias: tuple[float, float, float]


# SDXL's VAE (4 channels).
SDXL = Factors(
    rgb=(
        (0.3651, 0.4232, 0.4341),
        (-0.2533, -0.0042, 0.1068),
        (0.1076, 0.1111, -0.0362),
        (-0.3165, -0.2492, -0.2188),
    ),
    bias=(0.1084, -0.0175, -0.0011),
)
SDXL_RGB, SDXL_BIAS = SDXL.rgb, SDXL.bias


def preview(latent: torch.Tensor, factors: Factors = SDXL) -> Image:
    """The picture of one image's latents, [channels, h, w]."""
    rgb_factors = torch.tensor(factors.rgb, dtype=torch.float32, device=latent.device)
    bias = torch.tensor(factors.bias, dtype=torch.float32, device=latent.device)
    rgb = torch.einsum("chw,cr->hwr", latent.float(), rgb_factors) + bias
    pixels = ((rgb.clamp(-1, 1) + 1) * 127.5).to(torch.uint8).cpu().numpy()
    return PILImage.fromarray(pixels, "RGB")
