"""LoRA adapters in a loaded pipeline (docs/models.md, "LoRA adapters"): which are loaded, and which run.

diffusers' own adapter API does the work, PEFT underneath: `load_lora_weights` with an `adapter_name` (the
LoRA's id; diffusers converts kohya-ss/AUTOMATIC1111 keys to its own), `set_adapters` with the batch's
weights,
`disable_lora` for a batch without any, `delete_adapters` to let one go. A batch runs one set of adapters
(domain.batching), activated before its prompts are encoded, since an adapter may change the text encoders.

The cache keeps the adapters loaded least recently used first, bounded by a count and by the bytes of their
files (SFUMATO_LORA_CACHE_COUNT, _BYTES): a hit costs no disk read. A compiled model places adapters by
hot-swapping them into slots prepared before compilation instead (engine/hotswap.py), so no swap recompiles.
"""

import logging
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from sfumato.domain.errors import GenerationFailed
from sfumato.domain.residency import evictions

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AdapterFile:
    """An adapter a batch runs: its id (its name in the pipeline), weight, and file on this machine's disk."""

    id: str
    name: str
    weight: float
    path: Path
    size: int


@dataclass(frozen=True)
class AdapterLimits:
    """SFUMATO_LORA_CACHE_COUNT and _BYTES; with compilation, SFUMATO_LORA_SLOTS and _MAX_RANK."""

    count: int = 8
    memory: int = 2 * 1024**3
    slots: int = 0
    rank: int = 128


class AdapterEvents:
    """What the cache reports (the worker counts them in /metrics); by default, nothing."""

    def loaded(self, seconds: float) -> None: ...
    def hit(self) -> None: ...
    def evicted(self) -> None: ...
    def recompiled(self, graphs: int) -> None: ...


class Placement(Protocol):
    """How adapters enter a pipeline: by name (eager) or into compiled slots (engine/hotswap.py)."""

    def load(self, file: AdapterFile) -> None: ...
    def unload(self, adapter_id: str) -> None: ...
    def apply(self, uses: Sequence[AdapterFile]) -> None: ...


class NamedAdapters:
    """Each adapter loaded under its own name; `set_adapters` picks the batch's, with their weights."""

    def __init__(self, pipe: Any) -> None:
        self.pipe = pipe
        self._held: set[str] = set()

    def load(self, file: AdapterFile) -> None:
        # From the file (safetensors only: never a pickle), so diffusers reads the metadata it wrote itself.
        self.pipe.load_lora_weights(
            str(file.path.parent),
            weight_name=file.path.name,
            adapter_name=file.id,
            use_safetensors=True,
        )
        if file.id not in self._present():  # diffusers skips keys no module of this model has
            raise GenerationFailed("none of its weights name a module of this model")
        self._held.add(file.id)

    def _present(self) -> set[str]:
        return {name for names in self.pipe.get_list_adapters().values() for name in names}

    def unload(self, adapter_id: str) -> None:
        if adapter_id in self._present():  # a load that failed half-way may have left part of it
            self.pipe.delete_adapters(adapter_id)
        self._held.discard(adapter_id)

    def apply(self, uses: Sequence[AdapterFile]) -> None:
        if not uses:
            if self._held:
                self.pipe.disable_lora()
            return
        self.pipe.enable_lora()
        self.pipe.set_adapters([use.id for use in uses], [use.weight for use in uses])


class AdapterCache:
    """The adapters loaded in one pipeline, least recently used first (used from the engine thread alone)."""

    def __init__(self, placement: Placement | None, limits: AdapterLimits, why_not: str = "") -> None:
        self.placement = placement  # None: this model runs no adapters (`why_not` says why)
        self.limits = limits
        self.why_not = why_not
        self.events = AdapterEvents()
        self._held: OrderedDict[str, int] = OrderedDict()  # id -> bytes

    def listen(self, events: AdapterEvents) -> None:
        self.events = events

    def held(self) -> list[str]:
        return list(self._held)

    def activate(self, wanted: Sequence[AdapterFile]) -> None:
        """Load what is missing (making room first), then run exactly `wanted`, at their weights."""
        if self.placement is None:
            if wanted:
                raise GenerationFailed(f"this worker runs no LoRA adapters on this model: {self.why_not}")
            return
        keep = {file.id for file in wanted}
        for file in wanted:
            if file.id in self._held:
                self._held.move_to_end(file.id)
                self.events.hit()
                continue
            self._make_room(file.size, keep)
            started = time.monotonic()
            try:
                self.placement.load(file)
            except Exception as error:
                log.warning("LoRA %s (%s) could not load: %s", file.name, file.id, error)
                self._forget(file.id)
                raise GenerationFailed(
                    f"the LoRA {file.name!r} could not be loaded into this model: {_reason(error)}"
                ) from error
            self._held[file.id] = file.size
            self.events.loaded(time.monotonic() - started)
        self.placement.apply(wanted)

    def _make_room(self, incoming: int, keep: set[str]) -> None:
        others = [(name, size) for name, size in self._held.items() if name not in keep]
        by_count = max(0, len(self._held) + 1 - self.limits.count)
        going = [name for name, _ in others[:by_count]]
        left = [(name, size) for name, size in others if name not in going]
        going += evictions(
            left, incoming, self.limits.memory - sum(self._held[name] for name in keep if name in self._held)
        )
        for name in going:
            self._forget(name)
            del self._held[name]
            self.events.evicted()

    def _forget(self, adapter_id: str) -> None:
        assert self.placement is not None
        try:
            self.placement.unload(adapter_id)
        except Exception:  # a half-loaded adapter may leave nothing to delete
            log.debug("LoRA %s: nothing to unload", adapter_id, exc_info=True)


def _reason(error: Exception) -> str:
    """What a client may read of a load's failure: the kind, never a path."""
    text = str(error)
    if "size mismatch" in text or "shape" in text:
        return "its layers have other sizes than this model's (it was made for another model of the family)"
    if isinstance(error, GenerationFailed):
        return error.message
    return "its weights do not match this model's modules"
