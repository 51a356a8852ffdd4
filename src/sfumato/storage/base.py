"""The storage interface: opaque keys to bytes."""

import re
from typing import Protocol

_KEY = re.compile(r"^[A-Za-z0-9_-]+(/[A-Za-z0-9_.-]+)*$")


class StorageError(Exception):
    pass


def check_key(key: str) -> str:
    """Keys are relative slash-separated names without `..`: they can never escape the root."""
    if not _KEY.match(key) or ".." in key.split("/"):
        raise StorageError(f"invalid storage key {key!r}")
    return key


class Storage(Protocol):
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

    def check(self) -> None:
        """Raises StorageError unless the store can be reached and written; called at start-up."""
        ...
