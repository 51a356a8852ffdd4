"""AUTOMATIC1111's masks: white is repainted, and a mask with alpha repaints where it is opaque (its alpha
channel is the mask), the opposite of OpenAI's; `inpainting_mask_invert` turns it around. The mask is handed
on in this server's terms (white repaint, black keep, no alpha) as a PNG data URL."""

import base64

from PIL import ImageOps

from sfumato.imaging.inputs import InputLimits, decode, from_text, has_alpha, png


def a1111_mask(text: str, *, invert: bool, limits: InputLimits) -> str:
    picture = decode(from_text(text, field="mask", limits=limits), field="mask", limits=limits)
    mask = picture.convert("RGBA").getchannel("A") if has_alpha(picture) else picture.convert("L")
    if invert:
        mask = ImageOps.invert(mask)
    return "data:image/png;base64," + base64.b64encode(png(mask)).decode()
