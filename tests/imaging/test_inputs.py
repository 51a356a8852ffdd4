"""Input pictures are checked before anything is decoded or stored (imaging.inputs)."""

import base64
import time

import pytest
from PIL import Image

from sfumato.domain.errors import InvalidParameter, PayloadTooLarge
from sfumato.imaging.inputs import InputLimits, decode, fitted, from_text, mask_of
from tests.pictures import SVG, bomb, data_url, encoded, noise, png, rotated_jpeg

LIMITS = InputLimits(max_bytes=1_000_000, max_pixels=1024 * 1024)


def test_base64_and_data_urls_give_the_same_bytes() -> None:
    data = png(32, 32)
    raw = base64.b64encode(data).decode()
    assert from_text(raw, field="image", limits=LIMITS) == data
    assert from_text(data_url(data), field="image", limits=LIMITS) == data
    assert from_text(data_url(data, "image/jpeg"), field="image", limits=LIMITS) == data  # the bytes decide


@pytest.mark.parametrize(
    "text", ["not base64 at all!", "data:image/png,rawtext", "https://example.com/a.png"]
)
def test_text_that_is_not_base64_names_its_field(text: str) -> None:
    with pytest.raises(InvalidParameter) as raised:
        from_text(text, field="mask", limits=LIMITS)
    assert raised.value.param == "mask"


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (SVG, "is not a PNG, JPEG or WebP image"),
        (b"GIF89a" + bytes(100), "is not a PNG, JPEG or WebP image"),
        (png(64, 64)[:200], "truncated or corrupt"),
    ],
)
def test_what_is_not_a_whole_png_jpeg_or_webp_is_refused(data: bytes, says: str) -> None:
    with pytest.raises(InvalidParameter, match=says) as raised:
        decode(data, field="image", limits=LIMITS)
    assert raised.value.param == "image"


def test_a_decompression_bomb_is_refused_from_its_header() -> None:
    started = time.monotonic()
    with pytest.raises(InvalidParameter, match="1048576 pixels") as raised:
        decode(bomb(60_000, 60_000), field="image", limits=LIMITS)
    assert raised.value.param == "image"
    assert time.monotonic() - started < 5  # decoding 10.8 GB of pixels would not end so soon
    with pytest.raises(InvalidParameter, match="pixels"):
        decode(bomb(2000, 2000), field="image", limits=LIMITS)  # within PIL's own limit, past ours


def test_a_file_over_the_byte_limit_is_413_naming_its_field() -> None:
    data = png(64, 64)
    with pytest.raises(PayloadTooLarge) as raised:
        decode(data, field="image", limits=InputLimits(max_bytes=len(data) - 1))
    assert raised.value.param == "image"
    with pytest.raises(PayloadTooLarge):
        from_text(
            base64.b64encode(data).decode(), field="image", limits=InputLimits(max_bytes=len(data) // 2)
        )


def test_exif_orientation_is_applied() -> None:
    picture = decode(rotated_jpeg(40, 20), field="image", limits=LIMITS)
    assert picture.size == (20, 40)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_png_jpeg_and_webp_decode(fmt: str) -> None:
    assert decode(encoded(noise(48, 32), fmt), field="image", limits=LIMITS).size == (48, 32)


def test_white_or_transparent_is_repainted_black_or_opaque_is_kept() -> None:
    grey = Image.new("L", (4, 1))
    grey.putdata([0, 100, 200, 255])
    assert list(mask_of(grey).get_flattened_data()) == [0, 0, 255, 255]
    clear = Image.new("RGBA", (3, 1))
    clear.putdata([(0, 0, 0, 0), (255, 255, 255, 255), (9, 9, 9, 60)])
    assert list(mask_of(clear).get_flattened_data()) == [255, 0, 255]


def test_a_picture_is_fitted_by_cover_and_crop_never_stretched() -> None:
    wide = Image.new("RGB", (200, 100), "red")
    wide.paste((0, 0, 255), (0, 0, 50, 100))  # a blue left quarter, cropped away by a square cover
    square = fitted(wide, 64, 64)
    assert square.size == (64, 64)
    red, _, blue = square.getpixel((2, 32))  # type: ignore[misc]
    assert red > 240 and blue < 15
