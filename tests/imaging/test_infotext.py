"""AUTOMATIC1111's infotext, written and read as AUTOMATIC1111 does: its format is `create_infotext` in
modules/processing.py (the pairs joined by ", ", `Negative prompt:` on its own line) with `quote` from
modules/infotext_utils.py, and it is read back by `parse_generation_parameters` in that same file."""

import io

from PIL import Image
from PIL.PngImagePlugin import PngInfo

from sfumato.imaging.infotext import file_infotext, format_infotext, parse_infotext, text_chunks

# In AUTOMATIC1111's own layout (its parse_generation_parameters docstring shows one like it).
A1111_TEXT = (
    "a lighthouse on a cliff, stormy sea, (dramatic light:1.2)\n"
    "Negative prompt: blurry, lowres\n"
    "Steps: 20, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 7, Seed: 965400086, Size: 832x1216, "
    'Model hash: 31e35c80fc, Model: sd_xl_base_1.0, Lora hashes: "sea: 1234abcd, sky: 5678ef01", '
    "Version: v1.10.1"
)


def test_the_text_is_the_prompt_the_negative_prompt_then_one_line_of_pairs() -> None:
    text = format_infotext(
        "a cat",
        "blurry",
        {"Steps": 4, "Sampler": "Euler", "CFG scale": 0.0, "Seed": 7, "Size": "512x512", "Gone": None},
    )
    assert (
        text
        == "a cat\nNegative prompt: blurry\nSteps: 4, Sampler: Euler, CFG scale: 0.0, Seed: 7, Size: 512x512"
    )


def test_a_value_with_a_comma_a_colon_or_a_line_break_is_quoted_as_json() -> None:
    text = format_infotext("a cat", None, {"Note": 'a, "b"', "Time": "12:30", "Plain": "x"})
    assert text == 'a cat\nNote: "a, \\"b\\"", Time: "12:30", Plain: x'  # no negative prompt, no line for it


def test_automatic1111s_own_text_is_read_as_its_parser_reads_it() -> None:
    found = parse_infotext(A1111_TEXT)
    assert found["Prompt"] == "a lighthouse on a cliff, stormy sea, (dramatic light:1.2)"
    assert found["Negative prompt"] == "blurry, lowres"
    assert (found["Steps"], found["Sampler"], found["CFG scale"], found["Seed"]) == (
        "20",
        "DPM++ 2M",
        "7",
        "965400086",
    )
    assert (found["Size-1"], found["Size-2"]) == ("832", "1216")
    assert found["Lora hashes"] == "sea: 1234abcd, sky: 5678ef01"  # unquoted
    assert found["Model"] == "sd_xl_base_1.0"


def test_a_text_without_a_line_of_pairs_is_all_prompt() -> None:
    assert parse_infotext("just a prompt, with a comma") == {
        "Prompt": "just a prompt, with a comma",
        "Negative prompt": "",
    }


def test_a_files_infotext_reads_back_as_what_made_it() -> None:
    parameters = {
        "prompt": "a red fox, snow",
        "negative_prompt": "blurry",
        "seed": 42,
        "steps": 4,
        "guidance_scale": 0.0,
        "width": 512,
        "height": 768,
        "model": "tiny",
        "style": None,
    }
    found = parse_infotext(file_infotext(parameters))
    assert found["Prompt"] == "a red fox, snow" and found["Negative prompt"] == "blurry"
    assert (found["Seed"], found["Steps"], found["CFG scale"]) == ("42", "4", "0.0")
    assert (found["Size-1"], found["Size-2"], found["Model"]) == ("512", "768", "tiny")
    assert found["Sampler"] == "Euler" and found["Version"].startswith("sfumato-")
    assert "Denoising strength" not in found  # a text-to-image job


def png_with(text: dict[str, str], size: tuple[int, int] = (8, 8)) -> bytes:
    info = PngInfo()
    for name, value in text.items():
        info.add_text(name, value)
    buffer = io.BytesIO()
    Image.new("RGB", size).save(buffer, "PNG", pnginfo=info)
    return buffer.getvalue()


def test_a_pngs_text_chunks_are_read_and_anything_else_has_none() -> None:
    assert text_chunks(png_with({"parameters": A1111_TEXT, "Software": "x"}), max_pixels=100) == {
        "parameters": A1111_TEXT,
        "Software": "x",
    }
    assert text_chunks(b"GIF89a not a png", max_pixels=100) == {}
    assert (
        text_chunks(png_with({"parameters": "p"}, size=(20, 20)), max_pixels=100) == {}
    )  # 400 pixels: not decoded
