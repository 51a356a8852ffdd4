"""The studio's form as the one generation request, and back: its defaults for a model, a job's parameters
as the form that makes it again ("Use these settings"), and a dropped PNG's parameters (Sfumato's own, or
AUTOMATIC1111's infotext) as form values."""

import base64
from typing import Any

from pydantic import ValidationError

from sfumato.domain.generation import GenerationRequest
from sfumato.domain.params import JobParams
from sfumato.domain.rules import MAX_SEED
from sfumato.domain.sizes import nearest_side
from sfumato.domain.styles import STYLES
from sfumato.http.errors import validation_error
from sfumato.imaging.infotext import INFOTEXT_CHUNK, own_parameters, parse_infotext
from sfumato.web.choices import MOST_LORA_ROWS, ModelChoice
from sfumato.web.forms import decimal, whole_number

TEXTS = ("prompt", "negative_prompt", "style", "format", "name", "model")
INTEGERS = ("width", "height", "steps", "n", "seed")


def defaults(model: ModelChoice) -> dict[str, Any]:
    """A fresh form: the model's own steps and guidance, its native square."""
    _, width, height = model.presets[0]
    return {
        "model": model.name,
        "prompt": "",
        "negative_prompt": "",
        "style": "",
        "width": width,
        "height": height,
        "steps": model.default_steps,
        "guidance_scale": model.default_guidance,
        "seed": "",
        "random_seed": True,
        "n": 1,
        "format": "png",
        "name": "",
        "image_id": "",
        "strength": "",
    }


def request_of(fields: dict[str, str], uploads: dict[str, bytes]) -> GenerationRequest:
    """The form (and its files: `image`, `mask`) as the one generation request, asking for previews;
    InvalidParameter naming the field a value does not fit."""
    values: dict[str, Any] = {"prompt": fields.get("prompt", ""), "previews": True}
    for name in TEXTS[1:]:
        if fields.get(name, "").strip():
            values[name] = fields[name]
    for name in INTEGERS:
        if name == "seed" and fields.get("random_seed"):
            continue
        if (number := whole_number(fields, name, 0, MAX_SEED)) is not None:  # the request checks its range
            values[name] = number
    for name in ("guidance_scale", "strength"):
        if (value := decimal(fields, name)) is not None:
            values[name] = value
    if "image" in uploads:
        values["image"] = base64.b64encode(uploads["image"]).decode()
    elif fields.get("image_id", "").strip():
        values["image"] = fields["image_id"].strip()
    if "mask" in uploads and "image" in values:
        values["mask"] = base64.b64encode(uploads["mask"]).decode()
    if "image" not in values:
        values.pop("strength", None)  # the field stays in the form when no image is chosen
    if loras := loras_of(fields):
        values["loras"] = loras
    try:
        return GenerationRequest.model_validate(values)
    except ValidationError as error:
        raise validation_error([{**item, "loc": ("body", *item["loc"])} for item in error.errors()]) from None


def loras_of(fields: dict[str, str]) -> list[dict[str, Any]]:
    """The form's rows of adapters (`lora_1`, `lora_weight_1`, …) as the request's `loras`: each chosen one
    by id, at its weight (1 when left blank; the request checks its range)."""
    chosen = []
    for row in range(1, MOST_LORA_ROWS + 1):
        lora = fields.get(f"lora_{row}", "").strip()
        if lora:
            weight = decimal(fields, f"lora_weight_{row}")
            chosen.append({"id": lora, "weight": 1.0 if weight is None else weight})
    return chosen


def form_of_loras(public: dict[str, Any]) -> dict[str, Any]:
    """A job's adapters (its public parameters' `loras`: id, name, weight) as the form's rows."""
    rows: dict[str, Any] = {}
    for row, used in enumerate(public.get("loras") or [], start=1):
        rows[f"lora_{row}"], rows[f"lora_weight_{row}"] = used["id"], used["weight"]
    return rows


def form_of_params(params: JobParams, *, seed: int | None = None, n: int | None = None) -> dict[str, Any]:
    """The form that makes these parameters again: an image's own seed and one image, or the whole job."""
    return {
        "model": params.model,
        "prompt": params.prompt,
        "negative_prompt": params.negative_prompt or "",
        "style": params.style or "",
        "width": params.width,
        "height": params.height,
        "steps": params.steps,
        "guidance_scale": params.guidance_scale,
        "seed": params.seed if seed is None else seed,
        "random_seed": False,
        "n": params.n if n is None else n,
        "format": params.format,
        "name": params.name if params.person_named() else "",
        "image_id": params.source_image_id or "",
        "strength": "" if params.strength is None else params.strength,
        **form_of_loras(params.public()),
    }


def form_of_png(chunks: dict[str, str], models: list[ModelChoice]) -> dict[str, Any] | None:
    """Form values from a PNG's text chunks: Sfumato's JSON when it has it, else AUTOMATIC1111's infotext;
    None when it carries neither. Sizes snap to the nearest the models take, steps to the model's range."""
    own = own_parameters(chunks)
    if own is not None:
        found: dict[str, Any] = {
            name: own[name]
            for name in ("prompt", "negative_prompt", "style", "seed", "steps", "guidance_scale", "model")
            if own.get(name) is not None
        }
        found |= {name: own[name] for name in ("width", "height") if isinstance(own.get(name), int | float)}
        source = "Sfumato"
    elif chunks.get(INFOTEXT_CHUNK, "").strip():
        parsed = parse_infotext(chunks[INFOTEXT_CHUNK])
        names = {
            "Prompt": "prompt",
            "Negative prompt": "negative_prompt",
            "Steps": "steps",
            "CFG scale": "guidance_scale",
            "Seed": "seed",
            "Size-1": "width",
            "Size-2": "height",
            "Model": "model",
            "Style": "style",
        }
        found = {field: parsed[name] for name, field in names.items() if parsed.get(name)}
        source = "AUTOMATIC1111"
    else:
        return None
    return {"source": source, "fields": _fitted(found, models)}


def _fitted(found: dict[str, Any], models: list[ModelChoice]) -> dict[str, Any]:
    """Values the form can hold: numbers as numbers within the rules, a model and a style only if offered."""
    by_name = {model.name: model for model in models}
    model = by_name.get(str(found.get("model", "")), models[0])
    fields: dict[str, Any] = {"model": model.name}
    for name in ("prompt", "negative_prompt"):
        if name in found:
            fields[name] = str(found[name])[:1000]
    if str(found.get("style", "")) in STYLES:
        fields["style"] = found["style"]
    numbers = {
        "width": lambda value: nearest_side(float(value)),
        "height": lambda value: nearest_side(float(value)),
        "steps": lambda value: min(model.max_steps, max(model.min_steps, int(float(value)))),
        "guidance_scale": lambda value: min(20.0, max(0.0, float(value))),
        "seed": lambda value: int(float(value)) % 2**31 if int(float(value)) >= 0 else None,
    }
    for name, fit in numbers.items():
        try:
            value = fit(found[name]) if name in found else None
        except (TypeError, ValueError, OverflowError):
            value = None
        if value is not None:
            fields[name] = value
    if "seed" in fields:
        fields["random_seed"] = False
    return fields
