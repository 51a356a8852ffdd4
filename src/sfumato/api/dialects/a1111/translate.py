"""AUTOMATIC1111's requests as GenerationRequests, and what ran as its `info` and infotext.

What the model cannot honour is translated, never refused: `steps` are brought into the model's range,
`cfg_scale` is mapped as the synchronous dialect maps guidance (a distilled model's 1 to 20 onto 0 to 2),
sizes (and the hires fix's scale and sizes) go to the nearest multiple of 64 from 256 to 2048 however large
the number sent, any sampler runs the model's own (Euler, trailing timesteps: AUTOMATIC1111's "Euler" with
"SGM Uniform"), a seed of -1 (or none) is random, and seeds past 2147483647 wrap. `info` and each image's
infotext say what actually ran. Numbers no float holds (`NaN`, `Infinity`, `1e400`) never get here: the
body guard refuses them (domain.bodies)."""

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from sfumato import __version__
from sfumato.api.dialects.a1111.networks import parse
from sfumato.api.dialects.a1111.schemas import Img2ImgRequest, Txt2ImgRequest
from sfumato.api.dialects.sync_style.translate import model_guidance
from sfumato.domain.errors import InvalidParameter
from sfumato.domain.generation import EMPTY_PROMPT, GenerationRequest
from sfumato.domain.images import Image
from sfumato.domain.models import ModelSpec
from sfumato.domain.rules import MAX_PROMPT, MAX_SEED, plain_message
from sfumato.domain.sizes import SIZE_MAX, SIZE_MIN, SIZE_STEP
from sfumato.imaging.infotext import SAMPLER, SCHEDULE, format_infotext

HIRES_STRENGTH = 0.7  # AUTOMATIC1111's clients' default for the second pass


def _within(value: int, most: int) -> int:
    """A client's number brought to 0 to `most` before any arithmetic: past it, every result is the same."""
    return min(most, max(0, value))


def side(value: int | None, default: int = 512) -> int:
    rounded = round(_within(value or default, 2 * SIZE_MAX) / SIZE_STEP) * SIZE_STEP
    return min(SIZE_MAX, max(SIZE_MIN, rounded))


def seed_of(value: Any) -> int | None:
    """AUTOMATIC1111's rule: -1, null, "" or what is not a number (infinity too) is random (None here)."""
    try:
        seed = int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return None if seed < 0 else seed % (MAX_SEED + 1)


@dataclass(frozen=True)
class Hires:
    """The hires fix: the first pass's images made larger, then redrawn at `strength`."""

    width: int
    height: int
    steps: int
    strength: float


@dataclass(frozen=True)
class Plan:
    request: GenerationRequest
    requested: dict[str, Any]  # what was asked and ran otherwise, for `info`
    hires: Hires | None = None
    shown_prompt: str | None = None  # as sent, its <lora:…> included: what `info` and the infotexts say


def plan(body: Txt2ImgRequest, spec: ModelSpec, *, image: str | None = None, mask: str | None = None) -> Plan:
    steps = min(spec.max_steps, max(spec.min_steps, body.steps or spec.default_steps))
    n = (body.batch_size or 1) * (body.n_iter or 1)
    networks = parse(body.prompt or "")
    values: dict[str, Any] = {
        "prompt": networks.prompt[:MAX_PROMPT],
        "negative_prompt": (body.negative_prompt or "")[:MAX_PROMPT] or None,
        "seed": seed_of(body.seed),
        "width": side(body.width),
        "height": side(body.height),
        "steps": steps,
        "guidance_scale": max(
            0.0, model_guidance(body.cfg_scale if body.cfg_scale is not None else 7.0, spec)
        ),
        "n": n,
        "format": "png",
        "name": "automatic1111",
        "loras": networks.loras or None,
    }
    if image is not None:
        values |= {"image": image, "mask": mask, "strength": _strength(body.denoising_strength, 0.75)}
    sampler = body.sampler_name or body.sampler_index
    requested = {
        "Requested sampler": sampler if sampler and sampler != SAMPLER else None,
        "Requested steps": body.steps if body.steps != steps else None,
        "Requested CFG scale": body.cfg_scale if body.cfg_scale != values["guidance_scale"] else None,
        "Requested size": f"{body.width}x{body.height}"
        if (body.width, body.height) != (values["width"], values["height"])
        else None,
    }
    try:
        request = GenerationRequest.model_validate(values, context={EMPTY_PROMPT: True})
    except ValidationError as error:
        first = error.errors()[0]
        field = {"n": "batch_size"}.get(str(first["loc"][0]), str(first["loc"][0])) if first["loc"] else None
        raise InvalidParameter(plain_message(str(first["msg"])), param=field) from None
    hires = _hires(body, request, spec) if image is None and body.enable_hr else None
    asked = {name: value for name, value in requested.items() if value is not None}
    return Plan(request, asked, hires, (body.prompt or "")[:MAX_PROMPT])


def _strength(value: float | None, default: float) -> float:
    return min(1.0, max(0.0, value if value is not None else default))


def _hires(body: Txt2ImgRequest, first: GenerationRequest, spec: ModelSpec) -> Hires:
    if body.hr_resize_x or body.hr_resize_y:
        x, y = _within(body.hr_resize_x or 0, 2 * SIZE_MAX), _within(body.hr_resize_y or 0, 2 * SIZE_MAX)
        width = x or round(y * first.width / first.height)
        height = y or round(x * first.height / first.width)
    else:
        scale = min(SIZE_MAX / SIZE_MIN, max(1.0, body.hr_scale or 2.0))  # never smaller; past 8, the largest
        width, height = round(first.width * scale), round(first.height * scale)
    steps = min(
        spec.max_steps, max(spec.min_steps, body.hr_second_pass_steps or first.steps or spec.default_steps)
    )
    return Hires(side(width), side(height), steps, _strength(body.denoising_strength, HIRES_STRENGTH))


def hires_request(first: GenerationRequest, image: Image, hires: Hires) -> GenerationRequest:
    """The second pass of one image: the first's parameters, the image made larger, redrawn."""
    values = first.model_dump(exclude_unset=True) | {
        "image": image.id,
        "seed": image.seed,
        "n": 1,
        "width": hires.width,
        "height": hires.height,
        "steps": hires.steps,
        "strength": hires.strength,
    }
    return GenerationRequest.model_validate(values, context={EMPTY_PROMPT: True})


def parameters(body: Txt2ImgRequest) -> dict[str, Any]:
    """The request as AUTOMATIC1111 echoes it: every field, defaults filled; the inputs only when asked."""
    echoed = body.model_dump()
    if isinstance(body, Img2ImgRequest) and not body.include_init_images:
        echoed |= {"init_images": None, "mask": None}
    return echoed


def infotext(made: Plan, image: Image, spec_name: str, model_hash: str, extra: dict[str, Any]) -> str:
    request = made.request
    fields: dict[str, Any] = {
        "Steps": request.steps,
        "Sampler": SAMPLER,
        "Schedule type": SCHEDULE,
        "CFG scale": request.guidance_scale,
        "Seed": image.seed,
        "Size": f"{image.width}x{image.height}",
        "Model hash": model_hash,
        "Model": spec_name,
        **extra,
        **made.requested,
        "Version": f"sfumato-{__version__}",
    }
    return format_infotext(shown_prompt(made), request.negative_prompt, fields)


def shown_prompt(made: Plan) -> str:
    return made.shown_prompt if made.shown_prompt is not None else made.request.prompt


def info(
    made: Plan, images: list[Image], spec_name: str, model_hash: str, extra: dict[str, Any], now: datetime
) -> str:
    """`Processed.js()`: the keys clients read (seed, all_seeds, width, height, infotexts, …), in JSON."""
    request = made.request
    first = images[0] if images else None
    seeds = [image.seed for image in images]
    obj = {
        "prompt": shown_prompt(made),
        "all_prompts": [shown_prompt(made)] * len(images),
        "negative_prompt": request.negative_prompt or "",
        "all_negative_prompts": [request.negative_prompt or ""] * len(images),
        "seed": seeds[0] if seeds else None,
        "all_seeds": seeds,
        "subseed": -1,
        "all_subseeds": [-1] * len(images),
        "subseed_strength": 0,
        "width": first.width if first else request.width,
        "height": first.height if first else request.height,
        "sampler_name": SAMPLER,
        "scheduler": SCHEDULE,
        "cfg_scale": request.guidance_scale,
        "steps": request.steps,
        "batch_size": len(images),
        "restore_faces": False,
        "face_restoration_model": None,
        "sd_model_name": spec_name,
        "sd_model_hash": model_hash,
        "sd_vae_name": None,
        "sd_vae_hash": None,
        "seed_resize_from_w": -1,
        "seed_resize_from_h": -1,
        "denoising_strength": made.hires.strength if made.hires else request.strength,
        "extra_generation_params": {**extra, **made.requested},
        "index_of_first_image": 0,
        "infotexts": [infotext(made, image, spec_name, model_hash, extra) for image in images],
        "styles": [],
        "job_timestamp": now.astimezone(UTC).strftime("%Y%m%d%H%M%S"),
        "clip_skip": 1,
        "is_using_inpainting_conditioning": False,
        "version": f"sfumato-{__version__}",
    }
    return json.dumps(obj, ensure_ascii=False)
