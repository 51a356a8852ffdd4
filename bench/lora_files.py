"""LoRA files made here, offline, for the benchmarks and the tests: PEFT adds random adapters to a tiny
model's modules, and diffusers' `save_lora_weights` writes them as its training scripts do
(examples/dreambooth/train_dreambooth_lora_sdxl.py: diffusers' keys, `convert_state_dict_to_diffusers` of
PEFT's state dict). Each file is made once per seed and kept in memory."""

import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save

UNET_TARGETS = ["to_q", "to_k", "to_v", "to_out.0"]  # attention, as diffusers' training scripts target
TEXT_TARGETS = ["q_proj", "k_proj", "v_proj", "out_proj"]


def _adapted(model: torch.nn.Module, targets: list[str], rank: int, seed: int) -> dict[str, torch.Tensor]:
    """A random LoRA of `rank` on `targets` of `model` (a fresh one: the adapter stays on it), in
    diffusers' keys."""
    from diffusers.utils import convert_state_dict_to_diffusers
    from peft import LoraConfig, get_peft_model_state_dict

    config = LoraConfig(r=rank, lora_alpha=rank, target_modules=targets, init_lora_weights=False)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model.add_adapter(config)  # type: ignore[operator]
        # PEFT's random init leaves B at a small scale for some layers; make both halves plainly visible.
        for name, parameter in model.named_parameters():
            if "lora_" in name:
                parameter.data = torch.randn_like(parameter) * 0.5
    # As diffusers' training scripts save them (examples/dreambooth/train_dreambooth_lora_sdxl.py).
    state = convert_state_dict_to_diffusers(get_peft_model_state_dict(model))
    return {name: tensor.detach().clone().contiguous() for name, tensor in state.items()}


def _saved(save_lora: Any, **layers: Any) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        save_lora(folder, **layers, weight_name="lora.safetensors", safe_serialization=True)
        return (Path(folder) / "lora.safetensors").read_bytes()


@cache
def tiny_lora(seed: int = 1, *, rank: int = 4, text: bool = False) -> bytes:
    """A LoRA for `tiny` (SDXL): its UNet's attention, and with `text` its first text encoder's."""
    from diffusers import StableDiffusionXLPipeline

    from sfumato.engine.tiny import build_tiny_pipeline

    pipe = build_tiny_pipeline()
    layers: dict[str, Any] = {"unet_lora_layers": _adapted(pipe.unet, UNET_TARGETS, rank, seed)}
    if text:
        layers["text_encoder_lora_layers"] = _adapted(pipe.text_encoder, TEXT_TARGETS, rank, seed + 1000)
    return _saved(StableDiffusionXLPipeline.save_lora_weights, **layers)


@cache
def tiny_flux_lora(seed: int = 1, *, rank: int = 4) -> bytes:
    """A LoRA for `tiny-flux`: a model of another family than `tiny`'s."""
    from diffusers import FluxPipeline

    from sfumato.engine.tiny_flux import build_tiny_flux_pipeline

    pipe = build_tiny_flux_pipeline()
    layers = _adapted(pipe.transformer, ["to_q", "to_k", "to_v"], rank, seed)
    return _saved(FluxPipeline.save_lora_weights, transformer_lora_layers=layers)


@cache
def kohya_lora(seed: int = 1) -> bytes:
    """`tiny_lora(seed)` in kohya-ss's key layout (`lora_unet_…`, `lora_down`/`lora_up`, an alpha each), as
    AUTOMATIC1111's users download them; diffusers' own `convert_state_dict_to_kohya` writes it."""
    from diffusers.utils import convert_state_dict_to_kohya
    from safetensors.torch import load

    diffusers_keys = load(tiny_lora(seed))
    peft = {
        name.replace(".lora.down.", ".lora_A.").replace(".lora.up.", ".lora_B."): tensor
        for name, tensor in diffusers_keys.items()
    }
    return save(convert_state_dict_to_kohya(peft))


def lora_for(pipe: Any, denoiser: str, seed: int = 1, *, rank: int = 4) -> bytes:
    """A random LoRA on the attention projections of a loaded pipeline's denoiser (any family, any size: its
    layers' own shapes), saved by the pipeline's `save_lora_weights`: for the benchmarks of models other than
    the tiny ones, whose LoRAs cannot be made on a copy in memory."""
    model = getattr(pipe, denoiser)
    generator = torch.Generator().manual_seed(seed)
    layers: dict[str, torch.Tensor] = {}
    for path, layer in model.named_modules():
        if isinstance(layer, torch.nn.Linear) and path.rsplit(".", 1)[-1] in ("to_q", "to_k", "to_v"):
            down = torch.randn(rank, layer.in_features, generator=generator) / layer.in_features**0.5
            up = torch.randn(layer.out_features, rank, generator=generator) * 0.05
            layers[f"{path}.lora.down.weight"] = down.to(torch.bfloat16)
            layers[f"{path}.lora.up.weight"] = up.to(torch.bfloat16)
    return _saved(type(pipe).save_lora_weights, **{f"{denoiser}_lora_layers": layers})
