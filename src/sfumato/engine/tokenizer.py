"""A CLIP tokenizer built offline: byte-level BPE over the 256 byte symbols, with no merges.

It tokenizes any text the way CLIP's does before merging (a token per character), so the random-weight
models (`tiny`, `sdxl-random`) run the real pipeline code without a download. Its ids are the lowest
of CLIP's own range, so it fits any CLIP text encoder's embedding table.
"""

import json
import tempfile
from functools import cache
from pathlib import Path

from transformers import CLIPTokenizer

MAX_LENGTH = 77  # CLIP's context, as in SDXL


@cache
def _byte_symbols() -> tuple[str, ...]:
    """GPT-2/CLIP's reversible map from the 256 bytes to printable characters."""
    printable = [
        *range(ord("!"), ord("~") + 1),
        *range(ord("¡"), ord("¬") + 1),
        *range(ord("®"), ord("ÿ") + 1),
    ]
    codes = list(printable)
    extra = 0
    for byte in range(256):
        if byte not in printable:
            printable.append(byte)
            codes.append(256 + extra)
            extra += 1
    return tuple(chr(code) for code in codes)


def vocabulary() -> dict[str, int]:
    symbols = _byte_symbols()
    words = [*symbols, *(f"{s}</w>" for s in symbols), "<|startoftext|>", "<|endoftext|>"]
    return {word: i for i, word in enumerate(words)}


def build_tokenizer(*, pad_token: str = "<|endoftext|>") -> CLIPTokenizer:
    with tempfile.TemporaryDirectory() as folder:
        vocab, merges = Path(folder, "vocab.json"), Path(folder, "merges.txt")
        vocab.write_text(json.dumps(vocabulary()))
        merges.write_text("#version: 0.2\n")
        return CLIPTokenizer(str(vocab), str(merges), pad_token=pad_token, model_max_length=MAX_LENGTH)
