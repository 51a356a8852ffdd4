"""LoRA files for the tests, made here offline: PEFT adds random adapters to a tiny model's modules, and
diffusers' `save_lora_weights` writes them as a client's training script would (diffusers/PEFT keys, the
`lora_adapter_metadata` diffusers reads back). Each file is made once per seed and kept in memory."""

import io
import pickle
import struct
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save

UNET_TARGETS = ["to_q", "to_k", "to_v", "to_out.0"]  # attention, as diffusers' training scripts target
TEXT_TARGETS = ["q_proj", "k_proj", "v_proj", "out_proj"]


def _adapted(model: torch.nn.Module, targets: list[str], rank: int, seed: int) -> dict[str, torch.Tensor]:
    """A random LoRA of `rank` on `targets` of a copy of `model`: its PEFT state dict."""
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


def truncated(data: bytes) -> bytes:
    """A safetensors file cut short: its header whole, its tensors' data missing its end."""
    return data[: len(data) - 100]


def pickled() -> bytes:
    """A pickled checkpoint, as `torch.save` writes one (a zip of pickles), of LoRA-shaped tensors."""
    buffer = io.BytesIO()
    torch.save({"unet.down_blocks.1.lora_A.weight": torch.zeros(4, 32)}, buffer)
    return buffer.getvalue()


def bare_pickle() -> bytes:
    """A bare pickle (`.ckpt`-style, protocol 2 and up), which would run code when loaded."""
    return pickle.dumps({"state_dict": {}}, protocol=4)


def header_only(tensors: dict[str, list[int]]) -> bytes:
    """A complete safetensors file of zero tensors with these shapes (float32)."""
    return save({name: torch.zeros(shape) for name, shape in tensors.items()})


def length_prefixed(header: bytes) -> bytes:
    """A file that starts as safetensors does (an 8-byte header length) but whose header is not JSON."""
    return struct.pack("<Q", len(header)) + header


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
