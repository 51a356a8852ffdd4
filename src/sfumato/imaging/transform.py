"""A stored image file converted, resized or recompressed (POST /v1/images/{id}/transform)."""

import io
from typing import Any

from PIL import Image as PILImage
from PIL import ImageOps

from sfumato.imaging.formats import encode_image


def transformed(
    data: bytes,
    fmt: str,
    *,
    width: int | None,
    height: int | None,
    quality: int,
    parameters: dict[str, Any],
    compress_level: int,
) -> tuple[bytes, int, int]:
    """An image file converted, resized and recompressed: its bytes, width and height.

    Both sides given: scaled to cover them and cropped to the centre (the picture is never
    stretched); one side: the other follows the picture's proportions; neither: the same size."""
    with PILImage.open(io.BytesIO(data)) as opened:
        picture = opened.convert("RGB")
    if width and height:
        picture = ImageOps.fit(picture, (width, height), PILImage.Resampling.LANCZOS)
    elif width or height:
        size = (
            (width, max(1, round(picture.height * width / picture.width)))
            if width
            else (max(1, round(picture.width * (height or 0) / picture.height)), height or 0)
        )
        picture = picture.resize(size, PILImage.Resampling.LANCZOS)
    data = encode_image(picture, fmt, quality=quality, parameters=parameters, compress_level=compress_level)
    return data, picture.width, picture.height
