"""Pictures for the tests of images in: real files, made here, in the forms clients send."""

import base64
import io
import struct
import zlib

import numpy as np
from PIL import Image


def noise(width: int, height: int, seed: int = 0) -> Image.Image:
    pixels = np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
    return Image.fromarray(pixels, "RGB")


def encoded(picture: Image.Image, fmt: str = "PNG", **options: object) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, fmt, **options)
    return buffer.getvalue()


def png(width: int = 256, height: int = 256, seed: int = 0) -> bytes:
    return encoded(noise(width, height, seed))


def data_url(data: bytes, media_type: str = "image/png") -> str:
    return f"data:{media_type};base64,{base64.b64encode(data).decode()}"


def square_mask(width: int, height: int, box: tuple[int, int, int, int]) -> bytes:
    """White (repaint) inside `box`, black elsewhere."""
    mask = Image.new("L", (width, height), 0)
    mask.paste(255, box)
    return encoded(mask)


def bomb(width: int, height: int) -> bytes:
    """A PNG whose header claims `width` x `height` and whose data stops at once: decoding it would need
    width x height x 3 bytes; reading its header needs nothing."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64))


def rotated_jpeg(width: int, height: int) -> bytes:
    """A JPEG stored `width` x `height` whose EXIF says to turn it a quarter (orientation 6): upright it is
    `height` x `width`."""
    exif = Image.Exif()
    exif[0x0112] = 6
    return encoded(noise(width, height), "JPEG", exif=exif.tobytes())


SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256"><rect width="256" height="256"/></svg>'
)


def pixels(data: bytes) -> bytes:
    """An image file's pixels, whatever else the file holds (its content credentials differ every time)."""
    with Image.open(io.BytesIO(data)) as opened:
        return opened.convert("RGB").tobytes()
