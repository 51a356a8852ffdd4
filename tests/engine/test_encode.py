import io
import json
import os

import pytest
from PIL import Image
from pydantic import ValidationError

from sfumato.config import Settings
from sfumato.imaging.formats import CONTENT_TYPES, encode_image

PARAMETERS = {"prompt": "a cat", "seed": 7, "steps": 4}


@pytest.fixture
def image() -> Image.Image:
    return Image.new("RGB", (64, 32), (200, 40, 10))


def test_png_files_carry_automatic1111s_infotext_and_sfumatos_own_parameters(image: Image.Image) -> None:
    decoded = Image.open(
        io.BytesIO(encode_image(image, "png", quality=90, parameters=PARAMETERS, compress_level=4))
    )
    assert decoded.format == "PNG" and decoded.size == (64, 32)
    text = decoded.text  # type: ignore[attr-defined]
    # `parameters` in AUTOMATIC1111's format (modules/processing.py, create_infotext), as its PNG Info
    # reads it.
    assert text["parameters"].startswith("a cat\nSteps: 4, Sampler: Euler, ")
    assert ", Seed: 7, " in text["parameters"]
    assert json.loads(text["sfumato"]) == PARAMETERS
    assert text["Software"].startswith("Sfumato")


@pytest.mark.parametrize("fmt", ["jpeg", "webp"])
def test_jpeg_and_webp_carry_them_in_exif(image: Image.Image, fmt: str) -> None:
    decoded = Image.open(
        io.BytesIO(encode_image(image, fmt, quality=80, parameters=PARAMETERS, compress_level=4))
    )
    assert decoded.format == fmt.upper()
    assert json.loads(decoded.getexif()[0x010E]) == PARAMETERS


def test_quality_changes_lossy_files(image: Image.Image) -> None:
    noisy = Image.effect_noise((128, 128), 60).convert("RGB")
    low = encode_image(noisy, "jpeg", quality=10, parameters={}, compress_level=4)
    high = encode_image(noisy, "jpeg", quality=95, parameters={}, compress_level=4)
    assert len(low) < len(high)


def test_encoding_is_deterministic(image: Image.Image) -> None:
    first, second = (
        encode_image(image, "png", quality=90, parameters=PARAMETERS, compress_level=4) for _ in range(2)
    )
    assert first == second


def test_every_format_has_a_content_type() -> None:
    assert CONTENT_TYPES == {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}


def test_the_png_level_is_a_zlib_level_and_the_encoders_follow_the_cpus(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Settings().png_compress_level == 4
    assert Settings(png_compress_level=0).png_compress_level == 0
    for wrong in (-1, 10):
        with pytest.raises(ValidationError):
            Settings(png_compress_level=wrong)
    for cpus, threads in ((2, 2), (16, 8), (1, 1)):
        monkeypatch.setattr(os, "sched_getaffinity", lambda _pid, n=cpus: set(range(n)), raising=False)
        assert Settings().encode_threads == threads
    assert Settings(encode_threads=3).encode_threads == 3
