"""What this server really has, as AUTOMATIC1111 lists it: the fleet's models as checkpoints, the one sampler
and schedule they run, the upscaler of the hires fix, no VAE of their own choosing, no scripts."""

import hashlib
from typing import Any

from sfumato.api.dialects.a1111.translate import SAMPLER

IDLE_STATE = {
    "skipped": False,
    "interrupted": False,
    "stopping_generation": False,
    "job": "",
    "job_count": 0,
    "job_timestamp": "0",
    "job_no": 0,
    "sampling_step": 0,
    "sampling_steps": 0,
}


def sha256_of(model: str) -> str:
    """A checkpoint's identity as AUTOMATIC1111 shows it: here the hash of the served model's name."""
    return hashlib.sha256(f"sfumato:{model}".encode()).hexdigest()


def title(model: str) -> str:
    return f"{model} [{sha256_of(model)[:10]}]"


def checkpoint(model: str) -> dict[str, Any]:
    digest = sha256_of(model)
    return {
        "title": title(model),
        "model_name": model,
        "hash": digest[:10],
        "sha256": digest,
        "filename": f"{model}.safetensors",
        "config": None,
    }


def model_named(name: str, models: tuple[str, ...]) -> str | None:
    """The model of `models` a client names: by title, name, file name, short hash or hash."""
    for model in models:
        digest = sha256_of(model)
        if name in (title(model), model, f"{model}.safetensors", digest[:10], digest):
            return model
    return None


SAMPLERS: list[dict[str, Any]] = [{"name": SAMPLER, "aliases": ["k_euler"], "options": {}}]
SCHEDULERS: list[dict[str, Any]] = [
    {
        "name": "automatic",
        "label": "Automatic",
        "aliases": None,
        "default_rho": -1,
        "need_inner_model": False,
    },
    {
        "name": "sgm_uniform",
        "label": "SGM Uniform",
        "aliases": ["SGMUniform"],
        "default_rho": -1,
        "need_inner_model": True,
    },
]
UPSCALERS: list[dict[str, Any]] = [
    {"name": "None", "model_name": None, "model_path": None, "model_url": None, "scale": 4},
    {"name": "Lanczos", "model_name": None, "model_path": None, "model_url": None, "scale": 4},
]


def options(model: str, kept: dict[str, Any]) -> dict[str, Any]:
    """The options a client reads: what it kept here, over the server's own (no `forge_preset`: not Forge)."""
    own = {
        "sd_model_checkpoint": title(model),
        "sd_checkpoint_hash": sha256_of(model),
        "sd_vae": "Automatic",
        "CLIP_stop_at_last_layers": 1,
        "samples_format": "png",
    }
    return own | {name: value for name, value in kept.items() if name not in ("sd_model_checkpoint",)}
