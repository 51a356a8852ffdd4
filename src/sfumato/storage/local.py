"""Image files in a local folder: written to a temporary name, synced, then renamed into place."""

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import unquote, urlparse

from sfumato.storage.base import StorageError, WriteFaults, check_key


class LocalStorage(WriteFaults):
    presigns = False  # the API serves a folder's files itself

    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def from_url(cls, url: str, options: Mapping[str, str] | None = None) -> "LocalStorage":
        """`file:///path`; a folder takes no options."""
        parsed = urlparse(url)
        if parsed.netloc not in ("", "localhost"):
            raise StorageError(f"file:// storage must be local, not on {parsed.netloc!r}")
        return cls(Path(unquote(parsed.path)))

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        with self.writing(key):
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise

    def get(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def delete(self, key: str) -> None:
        path = self._path(key)
        path.unlink(missing_ok=True)
        self._prune(path.parent)

    def delete_prefix(self, prefix: str, *, keep: frozenset[str] = frozenset()) -> list[str]:
        folder = self._path(prefix)
        if not folder.is_dir():
            return []
        removed = []
        for path in sorted(folder.rglob("*")):
            key = path.relative_to(self.root).as_posix()
            if path.is_file() and key not in keep:
                path.unlink(missing_ok=True)
                removed.append(key)
        self._prune(folder)
        return removed

    def keys(self, prefix: str = "") -> list[str]:
        folder = self._path(prefix) if prefix else self.root
        if not folder.is_dir():
            return []
        return sorted(
            path.relative_to(self.root).as_posix()
            for path in folder.rglob("*")
            if path.is_file() and not path.name.startswith(".tmp-")
        )

    def url(self, key: str, *, seconds: int) -> str | None:
        return None  # a folder has no address of its own: the API serves its files

    def local_path(self, key: str) -> Path | None:
        path = self._path(key)
        return path if path.is_file() else None

    def check(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StorageError(f"cannot create {self.root}: {error.strerror}") from None

    def _prune(self, folder: Path) -> None:
        """Remove emptied folders up to the root, so deleting leaves nothing behind."""
        while folder != self.root and self.root in folder.parents:
            try:
                folder.rmdir()
            except OSError:  # not empty, or already gone
                return
            folder = folder.parent
