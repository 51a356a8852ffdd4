"""Style presets (docs/api.md §5 `style`): a template around the prompt and extra negative terms."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Style:
    name: str
    prompt: str  # "{prompt}" marks where the user's prompt goes
    negative: str = ""


_STYLES = (
    # The synchronous-style clients' five (docs/api.md §8).
    Style(
        "photorealistic",
        "photograph of {prompt}, photorealistic, highly detailed, sharp focus, natural light",
        "painting, drawing, illustration, cartoon, anime, render",
    ),
    Style(
        "painting",
        "painting of {prompt}, oil on canvas, visible brushstrokes, rich colour",
        "photograph, photo, render, 3d",
    ),
    Style(
        "cartoon",
        "cartoon of {prompt}, bold outlines, flat vivid colours, playful",
        "photograph, photorealistic, realism",
    ),
    Style(
        "sketch",
        "pencil sketch of {prompt}, graphite, hand-drawn lines, cross-hatching, monochrome",
        "colour, photograph, painting",
    ),
    Style(
        "abstract",
        "abstract art inspired by {prompt}, shapes and colour fields, non-representational",
        "photograph, realistic, detailed faces",
    ),
    # The presets of Stability's API.
    Style(
        "3d-model",
        "professional 3d model of {prompt}, octane render, highly detailed, volumetric light",
        "ugly, deformed, noisy, low poly, blurry, painting",
    ),
    Style(
        "analog-film",
        "analog film photo of {prompt}, faded film, grain, vignette, Kodak Portra",
        "painting, drawing, illustration, cartoon, digital",
    ),
    Style(
        "anime",
        "anime artwork of {prompt}, anime style, key visual, vibrant, studio anime",
        "photo, deformed, black and white, realism, disfigured, low contrast",
    ),
    Style(
        "cinematic",
        "cinematic film still of {prompt}, shallow depth of field, bokeh, film grain, moody",
        "anime, cartoon, graphic, text, painting, drawing, sketch",
    ),
    Style(
        "comic-book",
        "comic book panel of {prompt}, graphic illustration, comic art, ink and colour",
        "photograph, deformed, glitch, noisy, realistic, stock photo",
    ),
    Style(
        "digital-art",
        "digital artwork of {prompt}, concept art, detailed, trending on artstation",
        "photo, photorealistic, realism, ugly",
    ),
    Style(
        "enhance",
        "breathtaking {prompt}, award-winning, professional, highly detailed",
        "ugly, deformed, noisy, blurry, distorted, grainy",
    ),
    Style(
        "fantasy-art",
        "ethereal fantasy art of {prompt}, magnificent, celestial, painterly, epic",
        "photographic, realistic, realism, dull, ugly",
    ),
    Style(
        "isometric",
        "isometric style {prompt}, vibrant, beautifully crafted, intricate detail",
        "deformed, mutated, ugly, disfigured, blurry, realism, photo",
    ),
    Style(
        "line-art",
        "line art drawing of {prompt}, professional, sleek, minimalist, graphic, vector",
        "anime, photorealistic, 35mm film, deformed, realism, colour",
    ),
    Style(
        "low-poly",
        "low-poly style {prompt}, low-poly game art, polygon mesh, jagged, blocky",
        "noisy, sloppy, messy, grainy, ugly, deformed",
    ),
    Style(
        "modeling-compound",
        "play-doh style {prompt}, sculpture, clay art, centered composition",
        "sloppy, messy, grainy, highly detailed, ultra textured, photo",
    ),
    Style(
        "neon-punk",
        "neonpunk style {prompt}, cyberpunk, vaporwave, neon, vibrant, stunningly beautiful",
        "painting, drawing, illustration, glitch, deformed, realism",
    ),
    Style(
        "origami",
        "origami style {prompt}, paper art, pleated paper, folded, origami art, centered",
        "noisy, sloppy, messy, grainy, ugly, deformed, realism",
    ),
    Style(
        "pixel-art",
        "pixel-art {prompt}, low-res, blocky, pixel art style, 8-bit graphics",
        "sloppy, messy, blurry, noisy, highly detailed, realism, photo",
    ),
    Style(
        "tile-texture",
        "{prompt}, seamless tiling texture, top-down, flat, repeating pattern",
        "perspective, horizon, text, border",
    ),
)

STYLES: dict[str, Style] = {s.name: s for s in _STYLES}


def apply_style(style: str | None, prompt: str, negative_prompt: str | None) -> tuple[str, str | None]:
    """The prompt and negative prompt the model sees for a request with this style."""
    if style is None:
        return prompt, negative_prompt
    preset = STYLES[style]
    negative = ", ".join(part for part in (negative_prompt, preset.negative) if part) or None
    return preset.prompt.format(prompt=prompt), negative
