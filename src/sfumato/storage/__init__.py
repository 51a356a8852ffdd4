"""Where image files live: a local folder (the embedded default) or S3-compatible storage (scale-out).

A backend is one module with a class behind `storage.base.Storage` and one line in BACKENDS, its URL scheme
(docs/extending.md): `from_url(url, options)` builds it from SFUMATO_STORAGE_URL and the storage options
(the SFUMATO_S3_* settings without their prefix: each backend reads the ones it knows), and `presigns` says
whether it hands out addresses of its own (SFUMATO_IMAGE_DELIVERY=presigned)."""

from collections.abc import Mapping
from typing import Protocol

from sfumato.storage.base import Storage, StorageError
from sfumato.storage.local import LocalStorage
from sfumato.storage.s3 import S3Storage


class Backend(Protocol):
    presigns: bool

    def from_url(self, url: str, options: Mapping[str, str]) -> Storage: ...


BACKENDS: dict[str, Backend] = {"file": LocalStorage, "s3": S3Storage}


def backend_of(url: str) -> Backend:
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme not in BACKENDS:
        forms = ", ".join(f"{name}://…" for name in BACKENDS)
        raise StorageError(f"unsupported storage URL {url!r}: use one of {forms}")
    return BACKENDS[scheme]


def open_storage(url: str, options: Mapping[str, str] | None = None) -> Storage:
    """The storage for SFUMATO_STORAGE_URL."""
    return backend_of(url).from_url(url, options or {})


__all__ = ["BACKENDS", "LocalStorage", "S3Storage", "Storage", "StorageError", "backend_of", "open_storage"]
