"""A preview is the latents seen through SDXL's linear colour factors: 1/8 of the image's side, no decoder."""

import torch

from sfumato.engine.previews import SDXL_BIAS, SDXL_RGB, preview


def test_a_preview_has_the_latents_size_and_their_colours() -> None:
    latent = torch.zeros(4, 96, 128)
    latent[0, :, 64:] = 1.0  # the right half: the first channel alone
    picture = preview(latent)
    assert picture.size == (128, 96) and picture.mode == "RGB"
    left, right = picture.getpixel((10, 10)), picture.getpixel((100, 10))
    assert left == tuple(int((bias + 1) * 127.5) for bias in SDXL_BIAS)
    expected = [max(-1.0, min(1.0, f + b)) for f, b in zip(SDXL_RGB[0], SDXL_BIAS, strict=True)]
    assert right == tuple(int((value + 1) * 127.5) for value in expected)


def test_out_of_range_latents_are_clamped_not_wrapped() -> None:
    picture = preview(torch.full((4, 8, 8), 50.0, dtype=torch.float16))
    sums = [sum(row[channel] for row in SDXL_RGB) for channel in range(3)]
    assert picture.getpixel((0, 0)) == tuple(255 if total > 0 else 0 for total in sums) == (0, 255, 255)


def test_a_16_channel_latent_is_seen_through_its_familys_factors() -> None:
    from sfumato.engine.families.flux import FLUX_FACTORS
    from sfumato.engine.families.sd3 import SD3_FACTORS

    latent = torch.zeros(16, 4, 4)
    latent[0] = 1.0  # the first channel alone
    # FLUX (ComfyUI's latent_formats.Flux): (-0.0346, 0.0244, 0.0681) + (-0.0329, -0.0718, -0.0851).
    assert preview(latent, FLUX_FACTORS).getpixel((0, 0)) == (118, 121, 125)
    # SD3: (-0.0922, -0.0175, 0.0749) + (0.2394, 0.2135, 0.1925).
    assert preview(latent, SD3_FACTORS).getpixel((0, 0)) == (146, 152, 161)
