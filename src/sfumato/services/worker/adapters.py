"""A worker's LoRA files on its own disk, and what its engines' adapter caches report to /metrics.

The engine loads an adapter from a file. In a folder store the file is already on this machine; from a bucket
it is fetched once into `$SFUMATO_DATA_DIR/lora-cache/<sha256>.safetensors`, checked against the digest its
upload recorded, and kept (the least recently used files go past a bound of bytes). Files are found when a
batch is claimed, on the claimer's thread, so the engine never waits on the network; a job whose adapter is
gone (deleted since it was queued) fails alone.
"""

import hashlib
import logging
import os
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path

from sfumato.domain.errors import SfumatoError
from sfumato.domain.loras import Adapter
from sfumato.engine.adapters import AdapterEvents, AdapterFile
from sfumato.services.metrics import Metrics
from sfumato.storage import Storage

log = logging.getLogger(__name__)


class AdapterMissing(SfumatoError):
    code = "lora_missing"


class AdapterFiles:
    def __init__(self, storage: Storage, cache: Path, *, max_bytes: int) -> None:
        self.storage = storage
        self.cache = cache
        self.max_bytes = max_bytes  # the copies kept from a bucket, at most
        self._lock = threading.Lock()

    def files(self, adapters: Sequence[Adapter]) -> tuple[AdapterFile, ...]:
        """Each adapter's file on this machine; AdapterMissing when one is gone from the store."""
        return tuple(
            AdapterFile(adapter.id, adapter.name, adapter.weight, self._path(adapter), adapter.size)
            for adapter in adapters
        )

    def _path(self, adapter: Adapter) -> Path:
        local = self.storage.local_path(adapter.storage_key)
        if local is not None:
            return local
        copy = self.cache / f"{adapter.sha256}.safetensors"
        with self._lock:
            if copy.is_file():
                os.utime(copy)  # recently used: the last to go
                return copy
            try:
                data = self.storage.get(adapter.storage_key)
            except FileNotFoundError:
                raise AdapterMissing(
                    f"the LoRA {adapter.name!r} was deleted after this job was queued"
                ) from None
            if hashlib.sha256(data).hexdigest() != adapter.sha256:
                raise AdapterMissing(f"the LoRA {adapter.name!r} in the store is not the file uploaded")
            self._write(copy, data)
            self._prune(keep=copy)
            return copy

    def _write(self, path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(data)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def _prune(self, *, keep: Path) -> None:
        copies = sorted(self.cache.glob("*.safetensors"), key=lambda path: path.stat().st_mtime)
        held = sum(path.stat().st_size for path in copies)
        for path in copies:
            if held <= self.max_bytes:
                break
            if path != keep:
                held -= path.stat().st_size
                path.unlink(missing_ok=True)
                log.info("LoRA cache: removed %s to stay within %d bytes", path.name, self.max_bytes)


class AdapterCounters(AdapterEvents):
    """The engines' adapter caches, counted in this worker's /metrics."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def loaded(self, seconds: float) -> None:
        self.metrics.lora_loads.inc()
        self.metrics.lora_load_seconds.observe(seconds)

    def hit(self) -> None:
        self.metrics.lora_hits.inc()

    def evicted(self) -> None:
        self.metrics.lora_evictions.inc()

    def recompiled(self, graphs: int) -> None:
        self.metrics.recompiles.inc(graphs)
