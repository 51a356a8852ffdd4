"""A LoRA file's header, read without loading a tensor: its tensors' names and shapes and its metadata
(the `safetensors` library checks the header and that the data covers exactly what it declares, so a
truncated file is refused here). Only safetensors is read: a pickled checkpoint (`.ckpt`, `.pt`, `.bin`:
torch.save's zip or a bare pickle) can run code when loaded, and is refused by its first bytes, unread."""

from dataclasses import dataclass
from pathlib import Path

from safetensors import SafetensorError, safe_open

from sfumato.domain.errors import InvalidParameter
from sfumato.domain.lora_files import metadata_text

_PICKLES = (b"\x80", b"PK\x03\x04")  # a pickle's protocol opcode; torch.save's zip archive


@dataclass(frozen=True)
class Header:
    shapes: dict[str, list[int]]
    metadata: dict[str, str]


def read_header(path: Path) -> Header:
    """The header of a safetensors file; InvalidParameter naming `file` for anything else."""
    with path.open("rb") as file:
        start = file.read(8)
    if start.startswith(_PICKLES):
        raise InvalidParameter(
            "file is a pickled checkpoint, which can run code when loaded: upload a .safetensors file",
            param="file",
        )
    try:
        with safe_open(str(path), framework="numpy") as opened:
            shapes = {name: list(opened.get_slice(name).get_shape()) for name in opened.keys()}  # noqa: SIM118
            metadata = metadata_text(opened.metadata())
    except (SafetensorError, OSError, ValueError):
        raise InvalidParameter(
            "file is not a complete safetensors file (truncated, or another format)", param="file"
        ) from None
    return Header(shapes, metadata)
