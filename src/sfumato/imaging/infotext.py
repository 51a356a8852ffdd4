"""AUTOMATIC1111's infotext: how an image says what made it, in the PNG text chunk `parameters` that its PNG
Info tab, `/sdapi/v1/png-info` and every tool that reads such files understand.

The format is AUTOMATIC1111's own (modules/processing.py, `create_infotext`; modules/infotext_utils.py,
`quote` and `parse_generation_parameters`): the prompt, then `Negative prompt: …` when there is one, then
one line of `Name: value` pairs joined by ", ", a value quoted as JSON when it holds a comma, a colon or a
line break. Sfumato's own parameters, exactly, go beside it as JSON in the chunk `sfumato`."""

import io
import json
import re
import warnings
from typing import Any

from PIL import Image as PILImage
from PIL import UnidentifiedImageError

from sfumato import __version__

SAMPLER, SCHEDULE = "Euler", "SGM Uniform"  # what every served model runs: Euler, trailing timesteps
INFOTEXT_CHUNK, OWN_CHUNK = "parameters", "sfumato"

# AUTOMATIC1111's patterns (modules/infotext_utils.py): one `Name: value` pair, and a size.
_PAIR = re.compile(r'\s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)')
_SIZE = re.compile(r"^(\d+)x(\d+)$")


def quote(value: Any) -> str:
    text = str(value)
    if "," not in text and "\n" not in text and ":" not in text:
        return text
    return json.dumps(text, ensure_ascii=False)


def unquote(text: str) -> str:
    if len(text) < 2 or text[0] != '"' or text[-1] != '"':
        return text
    try:
        value = json.loads(text)
    except ValueError:
        return text
    return value if isinstance(value, str) else text


def format_infotext(prompt: str, negative_prompt: str | None, fields: dict[str, Any]) -> str:
    """`create_infotext`'s text: the prompt, the negative prompt's line, then the fields that are not None."""
    line = ", ".join(f"{name}: {quote(value)}" for name, value in fields.items() if value is not None)
    negative = f"\nNegative prompt: {negative_prompt}" if negative_prompt else ""
    return f"{prompt}{negative}\n{line}".strip()


def file_infotext(parameters: dict[str, Any]) -> str:
    """The infotext of an image file, from the parameters Sfumato records in it (imaging.formats)."""
    width, height = parameters.get("width"), parameters.get("height")
    fields = {
        "Steps": parameters.get("steps"),
        "Sampler": SAMPLER,
        "Schedule type": SCHEDULE,
        "CFG scale": parameters.get("guidance_scale"),
        "Seed": parameters.get("seed"),
        "Size": f"{width}x{height}" if width and height else None,
        "Model": parameters.get("model"),
        "Denoising strength": parameters.get("strength"),
        "Style": parameters.get("style"),
        "Version": f"sfumato-{__version__}",
    }
    prompt = str(parameters.get("prompt") or "")
    # The adapters as AUTOMATIC1111 writes them in the prompt it records: its PNG Info applies them again.
    tags = [f"<lora:{lora['name']}:{lora['weight']:g}>" for lora in parameters.get("loras") or []]
    prompt = " ".join([prompt, *(tag for tag in tags if tag not in prompt)]).strip()
    return format_infotext(prompt, parameters.get("negative_prompt"), fields)


def parse_infotext(text: str) -> dict[str, str]:
    """`parse_generation_parameters`: "Prompt", "Negative prompt" and each pair of the last line, values as
    text; a size `WxH` as "Name-1" and "Name-2". (AUTOMATIC1111 then adds its own defaults for what is
    absent, settings of its UI; these are left out.)"""
    *lines, last = text.strip().split("\n")
    if len(_PAIR.findall(last)) < 3:
        lines.append(last)
        last = ""
    prompt, negative, in_negative = "", "", False
    for line in lines:
        line = line.strip()
        if line.startswith("Negative prompt:"):
            in_negative = True
            line = line[16:].strip()
        if in_negative:
            negative += ("" if negative == "" else "\n") + line
        else:
            prompt += ("" if prompt == "" else "\n") + line
    found = {"Prompt": prompt, "Negative prompt": negative}
    for name, value in _PAIR.findall(last):
        value = unquote(value)
        size = _SIZE.match(value)
        if size is not None:
            found[f"{name}-1"], found[f"{name}-2"] = size.group(1), size.group(2)
        else:
            found[name] = value
    return found


def text_chunks(data: bytes, *, max_pixels: int) -> dict[str, str]:
    """The text a PNG carries, by chunk name; {} for anything that is not a PNG. Pillow reads the chunks
    after the pixels only as it decodes them: the pixels are counted from the header first."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PILImage.DecompressionBombWarning)
            with PILImage.open(io.BytesIO(data), formats=["PNG"]) as opened:
                if opened.width * opened.height > max_pixels:
                    return {}
                opened.load()
                return {
                    str(name): str(value) for name, value in opened.info.items() if isinstance(value, str)
                }
    except (
        UnidentifiedImageError,
        PILImage.DecompressionBombError,
        OSError,
        ValueError,
        SyntaxError,
        EOFError,
    ):
        return {}


def own_parameters(chunks: dict[str, str]) -> dict[str, Any] | None:
    """Sfumato's JSON, from its chunk (or, in files made before it had one, from `parameters`)."""
    for name in (OWN_CHUNK, INFOTEXT_CHUNK):
        try:
            found = json.loads(chunks.get(name, ""))
        except ValueError:
            continue
        if isinstance(found, dict):
            return found
    return None
