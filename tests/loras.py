"""LoRA files for the tests: good ones made offline (bench/lora_files.py: PEFT's random adapters on the tiny
models, saved by diffusers), and the bad ones clients send: pickles, a cut file, a header that is not JSON."""

import io
import pickle
import struct

import torch

from bench.lora_files import kohya_lora, tiny_flux_lora, tiny_lora

__all__ = ["kohya_lora", "tiny_flux_lora", "tiny_lora"]


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


def length_prefixed(header: bytes) -> bytes:
    """A file that starts as safetensors does (an 8-byte header length) but whose header is not JSON."""
    return struct.pack("<Q", len(header)) + header
