"""Images sent in by clients (image-to-image, inpainting, edits, variations), checked before anything is
stored: the bytes bounded, the pixels counted from the header before any decoding (a decompression bomb
is refused unopened), only PNG, JPEG and WebP, a truncated file refused, EXIF orientation applied."""

import base64
import binascii
import io
import re
import warnings
from dataclasses import dataclass

from PIL import Image as PILImage
from PIL import ImageOps, UnidentifiedImageError
from PIL.Image import Image

from sfumato.domain.errors import InvalidParameter, PayloadTooLarge

FORMATS = ("PNG", "JPEG", "WEBP")
_DATA_URL = re.compile(
    r"^data:(?P<type>[\w.+-]+/[\w.+-]+)?(?P<params>(;[\w-]+=[^;,]*)*)(?P<b64>;base64)?,", re.IGNORECASE
)


@dataclass(frozen=True)
class InputLimits:
    """SFUMATO_MAX_INPUT_BYTES and SFUMATO_MAX_INPUT_PIXELS."""

    max_bytes: int = 20 * 1000 * 1000
    max_pixels: int = 4096 * 4096


def from_text(value: str, *, field: str, limits: InputLimits) -> bytes:
    """The bytes of a base64 string or a `data:` URL; 400 naming `field` when it is neither."""
    match = _DATA_URL.match(value)
    payload = value[match.end() :] if match else value
    if match and not match["b64"]:
        raise InvalidParameter(f"{field}: a data: URL must be base64 (…;base64,…)", param=field)
    payload = re.sub(r"\s+", "", payload)
    if len(payload) * 3 // 4 > limits.max_bytes:
        raise PayloadTooLarge(f"{field} is larger than {limits.max_bytes} bytes", param=field)
    try:
        return base64.b64decode(payload + "=" * (-len(payload) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidParameter(
            f"{field} must be an image id, a base64 string or a data: URL of a PNG, JPEG or WebP image",
            param=field,
        ) from None


def decode(data: bytes, *, field: str, limits: InputLimits) -> Image:
    """The picture in `data`, upright (EXIF orientation applied), fully decoded."""
    if len(data) > limits.max_bytes:
        raise PayloadTooLarge(f"{field} is larger than {limits.max_bytes} bytes", param=field)
    not_an_image = InvalidParameter(f"{field} is not a PNG, JPEG or WebP image", param=field)
    try:
        with warnings.catch_warnings():
            # The pixels are counted below, against our own limit.
            warnings.simplefilter("ignore", PILImage.DecompressionBombWarning)
            opened = PILImage.open(io.BytesIO(data), formats=FORMATS)
    except PILImage.DecompressionBombError:
        raise InvalidParameter(f"{field} has more than {limits.max_pixels} pixels", param=field) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise not_an_image from None
    width, height = opened.size
    if width * height > limits.max_pixels:
        raise InvalidParameter(
            f"{field} is {width}x{height}: at most {limits.max_pixels} pixels are accepted", param=field
        )
    try:
        opened.load()
        upright = ImageOps.exif_transpose(opened)
    except (OSError, ValueError, SyntaxError, EOFError):
        raise InvalidParameter(f"{field} is truncated or corrupt", param=field) from None
    return upright


def has_alpha(picture: Image) -> bool:
    return picture.mode in ("RGBA", "LA", "PA") or (picture.mode == "P" and "transparency" in picture.info)


def mask_of(picture: Image) -> Image:
    """A mask as the pipeline reads it (L: 255 repaint, 0 keep). Transparent pixels are repainted when the
    picture has alpha, as OpenAI's masks mean; otherwise white is repainted and black kept."""
    if has_alpha(picture):
        alpha = picture.convert("RGBA").getchannel("A")
        return alpha.point(lambda value: 255 if value < 128 else 0)
    return picture.convert("L").point(lambda value: 255 if value >= 128 else 0)


def fitted(picture: Image, width: int, height: int, *, mask: bool = False) -> Image:
    """The picture at exactly width x height: scaled to cover, centre cropped (never stretched)."""
    if picture.size == (width, height):
        return picture
    resample = PILImage.Resampling.NEAREST if mask else PILImage.Resampling.LANCZOS
    return ImageOps.fit(picture, (width, height), resample)


def png(picture: Image) -> bytes:
    """Lossless, and the same bytes for the same picture: how inputs are stored beside their job."""
    buffer = io.BytesIO()
    picture.save(buffer, "PNG", compress_level=4)
    return buffer.getvalue()


def load_png(data: bytes) -> Image:
    with PILImage.open(io.BytesIO(data), formats=["PNG"]) as opened:
        opened.load()
        return opened.copy()
