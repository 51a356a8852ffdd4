"""Where image files live: a local folder now, S3-compatible storage for scale-out."""

from sfumato.storage.base import Storage, StorageError
from sfumato.storage.local import LocalStorage


def open_storage(url: str) -> Storage:
    """The storage for SFUMATO_STORAGE_URL."""
    if url.startswith("file://"):
        return LocalStorage.from_url(url)
    raise StorageError(f"unsupported storage URL {url!r}: use file:///path (s3:// comes with scale-out)")


__all__ = ["LocalStorage", "Storage", "StorageError", "open_storage"]
