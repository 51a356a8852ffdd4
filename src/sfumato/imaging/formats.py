"""PIL image to file bytes in the asked format, with the generation parameters inside: in a PNG,
AUTOMATIC1111's infotext in the text chunk `parameters` (imaging.infotext) and Sfumato's own JSON in
`sfumato`; in a JPEG or WebP, the JSON as the EXIF ImageDescription. Content credentials are signed over
these bytes afterwards, so they cover the text too."""

import base64
import io
import json
from typing import Any

from PIL import Image as PILImage
from PIL.Image import Image
from PIL.PngImagePlugin import PngInfo

from sfumato import __version__
from sfumato.domain.params import JobParams
from sfumato.imaging.infotext import INFOTEXT_CHUNK, OWN_CHUNK, file_infotext

CONTENT_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}
_EXIF_DESCRIPTION = 0x010E  # ImageDescription
_EXIF_SOFTWARE = 0x0131


def encode_image(
    image: Image, fmt: str, *, quality: int, parameters: dict[str, Any], compress_level: int
) -> bytes:
    """The file bytes; the same image, format and parameters give the same bytes. `compress_level`: zlib's,
    of a PNG (SFUMATO_PNG_COMPRESS_LEVEL, 4 by default: as small as Pillow's own 6, in 80% of its time)."""
    text = json.dumps(parameters, sort_keys=True, ensure_ascii=False)
    software = f"Sfumato {__version__}"
    buffer = io.BytesIO()
    if fmt == "png":
        info = PngInfo()
        info.add_text(INFOTEXT_CHUNK, file_infotext(parameters))
        info.add_text(OWN_CHUNK, text)
        info.add_text("Software", software)
        image.save(buffer, "PNG", pnginfo=info, compress_level=compress_level)
    elif fmt in ("jpeg", "webp"):
        exif = PILImage.Exif()
        exif[_EXIF_DESCRIPTION] = text
        exif[_EXIF_SOFTWARE] = software
        image.convert("RGB").save(buffer, fmt.upper(), quality=quality, exif=exif.tobytes())
    else:
        raise ValueError(f"unsupported format {fmt!r}")
    return buffer.getvalue()


def preview_base64(picture: Image) -> str:
    """A preview as it travels (the database, the events stream): PNG, in base64."""
    buffer = io.BytesIO()
    picture.save(buffer, "PNG", compress_level=1)
    return base64.b64encode(buffer.getvalue()).decode()


def file_parameters(params: JobParams, seed: int) -> dict[str, Any]:
    """What an image file records of how it was made: enough to make it again."""
    adapters = {"loras": [adapter.public() for adapter in params.loras]} if params.loras else {}
    return adapters | {
        "prompt": params.prompt,
        "negative_prompt": params.negative_prompt,
        "style": params.style,
        "seed": seed,
        "steps": params.steps,
        "guidance_scale": params.guidance_scale,
        "width": params.width,
        "height": params.height,
        "model": params.model,
        **({"strength": params.strength} if params.strength is not None else {}),
    }


def format_of(data: bytes) -> str | None:
    """`png`, `jpeg` or `webp` as the file's header says (nothing is decoded); None for anything else."""
    try:
        with PILImage.open(io.BytesIO(data), formats=["PNG", "JPEG", "WEBP"]) as opened:
            return str(opened.format).lower()
    except (PILImage.DecompressionBombError, OSError, ValueError, SyntaxError):  # UnidentifiedImageError too
        return None
