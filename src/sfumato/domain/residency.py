"""Which models stay in memory (docs/models.md, "Several models at once"): as many as the memory budget
holds, the least recently used unloaded first to make room. Pure: the worker's engine set asks it."""

import re
from collections.abc import Sequence

_UNITS = {"": 1, "B": 1, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(i?)B?\s*$", re.IGNORECASE)


def parse_bytes(text: str) -> int | None:
    """`24GiB`, `24GB`, `512M`, `1000000` as bytes; empty: None (the device's own memory). `i` units are
    powers of 1024, the others of 1000."""
    if not text.strip():
        return None
    found = _SIZE.match(text)
    if found is None:
        raise ValueError(f"not a size: {text!r} (for example 24GiB, 512MiB, or bytes)")
    number, unit, binary = found.groups()
    unit = unit.upper()
    scale = 1024 ** ("KMGT".index(unit) + 1) if binary and unit else _UNITS[unit]
    return int(float(number) * scale)


def evictions(resident: Sequence[tuple[str, int]], incoming: int, budget: int) -> list[str]:
    """The models to unload, oldest use first, so that those left and one of `incoming` bytes fit in
    `budget`. `resident` is (name, bytes), least recently used first. When even an empty memory cannot
    hold the incoming model, every other one goes: it is loaded alone, never refused."""
    held = sum(size for _, size in resident)
    out: list[str] = []
    for name, size in resident:
        if held + incoming <= budget:
            break
        out.append(name)
        held -= size
    return out
