"""The local pair's files, in `$SFUMATO_DATA_DIR/c2pa/`, made on the first start that needs them:

    local-ca.pem        the CA's certificate: what a verifier trusts (`sfumato credentials show --ca-pem`)
    local-signer.pem    the signing certificate, then the CA's: the chain every manifest carries
    local-signer.key    the signing key, owner-only (0600), in an owner-only folder (0700)
    retired/            the CA certificates of pairs `sfumato credentials init --force` replaced

Every process that reads or makes them holds an exclusive lock on `c2pa/.lock` meanwhile: processes starting
at once on one data directory (or on one shared volume mounted at `c2pa/`) agree on one pair. Each file is
written under a temporary name and renamed into place, the key last: a pair is there once its key is.
"""

import fcntl
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sfumato.credentials.authority import DEFAULT_ORGANIZATION, make_pair

log = logging.getLogger(__name__)

FOLDER, RETIRED, LOCK = "c2pa", "retired", ".lock"
CA_FILE, CHAIN_FILE, KEY_FILE = "local-ca.pem", "local-signer.pem", "local-signer.key"


@dataclass(frozen=True)
class LocalFiles:
    folder: Path

    @property
    def ca(self) -> Path:
        return self.folder / CA_FILE

    @property
    def chain(self) -> Path:
        return self.folder / CHAIN_FILE

    @property
    def key(self) -> Path:
        return self.folder / KEY_FILE

    def exists(self) -> bool:
        return self.key.exists()


def local_files(data_dir: Path) -> LocalFiles:
    return LocalFiles(data_dir / FOLDER)


def retired_anchors(data_dir: Path) -> list[Path]:
    """The CA certificates of replaced local pairs, oldest first."""
    return sorted((data_dir / FOLDER / RETIRED).glob("*-ca.pem"))


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    with suppress(PermissionError):  # a mounted volume may not be ours to change
        folder.chmod(0o700)
    with open(folder / LOCK, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _write(path: Path, data: bytes, mode: int) -> None:
    partial = path.with_name(f".{path.name}.partial")
    partial.unlink(missing_ok=True)
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)
    os.replace(partial, path)


def _make(files: LocalFiles, now: datetime, organization: str) -> None:
    ca_pem, chain_pem, key_pem = make_pair(now, organization)
    _write(files.ca, ca_pem, 0o644)
    _write(files.chain, chain_pem, 0o644)
    _write(files.key, key_pem, 0o600)
    log.info("content credentials: made a local CA and signing certificate in %s", files.folder)


def read_local(data_dir: Path, now: datetime, *, make: bool = True) -> tuple[bytes, bytes] | None:
    """The local pair's chain and key, made first when `make` and there is none (else None). OSError when
    the folder cannot be written or read."""
    files = local_files(data_dir)
    if not make and not files.exists():
        return None
    with _locked(files.folder):
        if not files.exists():
            _make(files, now, DEFAULT_ORGANIZATION)
        return files.chain.read_bytes(), files.key.read_bytes()


def make_local(
    data_dir: Path, now: datetime, *, organization: str = DEFAULT_ORGANIZATION, replace: bool = False
) -> LocalFiles:
    """A local pair, when there is none; with `replace`, a new one in place of the old, whose CA
    certificate is kept in `retired/` (what it signed still reads trusted here) and whose key is deleted."""
    files = local_files(data_dir)
    with _locked(files.folder):
        if files.exists() and not replace:
            return files
        if files.exists():
            retired = files.folder / RETIRED / f"{now:%Y%m%dT%H%M%S%f}-ca.pem"
            retired.parent.mkdir(exist_ok=True)
            os.replace(files.ca, retired)
            files.key.unlink()
        _make(files, now, organization)
    return files
