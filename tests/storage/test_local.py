import errno
import os
from pathlib import Path

import pytest

from sfumato.domain.errors import StorageFull, StorageUnavailable
from sfumato.storage import LocalStorage, StorageError, open_storage


@pytest.fixture
def storage(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "images")


def files_under(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*")) if root.exists() else []


def test_put_replaces_atomically_and_leaves_no_temporary_file(storage: LocalStorage) -> None:
    storage.put("job_1/1-0.png", b"old")
    storage.put("job_1/1-0.png", b"new")
    assert storage.get("job_1/1-0.png") == b"new"
    assert files_under(storage.root) == ["job_1", "job_1/1-0.png"]


def test_delete_removes_the_file_and_its_emptied_folder(storage: LocalStorage) -> None:
    storage.put("job_1/1-0.png", b"x")
    storage.delete("job_1/1-0.png")
    storage.delete("job_1/1-0.png")  # already gone: no error
    assert files_under(storage.root) == []


@pytest.mark.parametrize("key", ["a/b\\c"])  # the contract's keys (test_contract.py), and a folder's own
def test_keys_cannot_escape_the_root(storage: LocalStorage, key: str) -> None:
    with pytest.raises(StorageError):
        storage.put(key, b"x")


def test_file_urls_open_local_storage(tmp_path: Path) -> None:
    storage = open_storage((tmp_path / "x y").as_uri())
    assert isinstance(storage, LocalStorage) and storage.root == tmp_path / "x y"


def test_unknown_storage_urls_are_refused() -> None:
    with pytest.raises(StorageError, match="unsupported storage URL"):
        open_storage("ftp://example.com/images")


@pytest.mark.parametrize(
    ("number", "error", "fault"),
    [(errno.ENOSPC, StorageFull, "full"), (errno.EROFS, StorageUnavailable, "unwritable")],
)
def test_a_write_that_fails_says_full_or_unwritable_without_its_path(
    storage: LocalStorage, monkeypatch: pytest.MonkeyPatch, number: int, error: type, fault: str
) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise OSError(number, os.strerror(number), str(storage.root / "secret"))

    monkeypatch.setattr("sfumato.storage.local.tempfile.mkstemp", refuse)
    with pytest.raises(error) as raised:
        storage.put("job_1/a.png", b"x")
    assert str(storage.root) not in raised.value.message and "Errno" not in raised.value.message
    assert storage.fault == fault
    monkeypatch.undo()
    storage.put("job_1/a.png", b"x")  # room again: the fault is forgotten at the next write that works
    assert storage.fault is None


def test_a_folder_that_cannot_be_made_is_unwritable(storage: LocalStorage) -> None:
    storage.root.mkdir(parents=True, exist_ok=True)
    (storage.root / "job_1").write_bytes(b"a file where the folder would go")
    with pytest.raises(StorageUnavailable):
        storage.put("job_1/a.png", b"x")
    assert storage.fault == "unwritable"
