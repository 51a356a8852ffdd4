"""Where image files live: a local folder (the embedded default) or S3-compatible storage (scale-out)."""

from sfumato.storage.base import Storage, StorageError
from sfumato.storage.local import LocalStorage
from sfumato.storage.s3 import S3Storage


def open_storage(
    url: str,
    *,
    endpoint_url: str = "",
    region: str = "",
    access_key_id: str = "",
    secret_access_key: str = "",
) -> Storage:
    """The storage for SFUMATO_STORAGE_URL; the s3 options matter only for s3:// URLs."""
    if url.startswith("file://"):
        return LocalStorage.from_url(url)
    if url.startswith("s3://"):
        return S3Storage.from_url(
            url,
            endpoint_url=endpoint_url,
            region=region,
            access_key_id=access_key_id,
            secret_access_key=secret_access_key,
        )
    raise StorageError(f"unsupported storage URL {url!r}: use file:///path or s3://bucket/prefix")


__all__ = ["LocalStorage", "S3Storage", "Storage", "StorageError", "open_storage"]
