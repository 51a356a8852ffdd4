"""The storage interface: opaque keys to bytes."""

import errno
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from sfumato.domain.errors import StorageFull, StorageUnavailable

log = logging.getLogger(__name__)

_KEY = re.compile(r"^[A-Za-z0-9_-]+(/[A-Za-z0-9_.-]+)*$")


class StorageError(Exception):
    pass


def check_key(key: str) -> str:
    """Keys are relative slash-separated names without `..`: they can never escape the root."""
    if not _KEY.match(key) or ".." in key.split("/"):
        raise StorageError(f"invalid storage key {key!r}")
    return key


_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


class WriteFaults:
    """What the last write to a store said: None after one that worked, "full" or "unwritable" after one
    that failed (for /readyz). Every backend's `put` writes inside `writing()`, which turns the system's
    error into the one a client may see (StorageFull, StorageUnavailable: no path, no errno); the log keeps
    the detail."""

    fault: str | None = None

    @contextmanager
    def writing(self, key: str) -> Iterator[None]:
        try:
            yield
        except OSError as error:
            full = error.errno in _FULL
            self.fault = "full" if full else "unwritable"
            log.error("storage: cannot write %s: %s", key, error)
            if full:
                raise StorageFull("the image store is full; no image can be stored now") from error
            raise StorageUnavailable() from error
        except StorageUnavailable:
            self.fault = "unwritable"
            raise
        self.fault = None


class Storage(Protocol):
    fault: str | None  # see WriteFaults

    def put(self, key: str, data: bytes) -> None:
        """Store durably; when this returns, a crash cannot leave a partial file under `key`."""
        ...

    def get(self, key: str) -> bytes:
        """The bytes under `key`; FileNotFoundError if there are none."""
        ...

    def delete(self, key: str) -> None:
        """Remove `key`; no error if it is already gone."""
        ...

    def delete_prefix(self, prefix: str, *, keep: frozenset[str] = frozenset()) -> list[str]:
        """Remove every key under `prefix/` except `keep`; returns the keys removed."""
        ...

    def keys(self, prefix: str = "") -> list[str]:
        """Every key under `prefix/` (all of them when empty), sorted."""
        ...

    def url(self, key: str, *, seconds: int) -> str | None:
        """An address serving `key` without credentials for `seconds`; None where the store has none."""
        ...

    def local_path(self, key: str) -> Path | None:
        """Where `key` lies on this machine's disk, if the store is a folder and it is there; else None
        (a reader that needs a file, the worker's LoRA adapters, keeps a copy of its own)."""
        ...

    def check(self) -> None:
        """Raises StorageError unless the store can be reached and written; called at start-up."""
        ...
