"""What every storage backend promises (storage/base.py's Storage), run against each one of
storage.BACKENDS: a new backend adds its fixture to STORES and runs the same contract
(docs/extending.md). Each backend's own rules stay in its module (test_local.py, test_s3.py)."""

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sfumato.storage import BACKENDS, Storage, StorageError, open_storage
from tests.conftest import BUCKET
from tests.servers import S3Server

prefixes = itertools.count()


def s3_options(s3: S3Server) -> dict[str, str]:
    return {name.removeprefix("s3_"): value for name, value in s3.settings().items()}


# How each backend's store for one test is opened: a folder of its own, a prefix of its own in the bucket.
STORES: dict[str, Callable[[pytest.FixtureRequest, Path], str]] = {
    "file": lambda _request, folder: (folder / "images").as_uri(),
    "s3": lambda _request, _folder: f"s3://{BUCKET}/contract-{next(prefixes)}",
}


def test_every_backend_runs_the_contract() -> None:
    assert sorted(STORES) == sorted(BACKENDS)


@pytest.fixture(params=sorted(STORES))
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Storage]:
    url = STORES[request.param](request, tmp_path)
    options = s3_options(request.getfixturevalue("s3")) if request.param == "s3" else {}
    yield open_storage(url, options)


def test_put_then_get_returns_the_bytes(storage: Storage) -> None:
    storage.put("job_1/1-0.png", b"png bytes")
    assert storage.get("job_1/1-0.png") == b"png bytes"


def test_put_replaces_what_the_key_held(storage: Storage) -> None:
    storage.put("job_1/1-0.png", b"old")
    storage.put("job_1/1-0.png", b"new")
    assert storage.get("job_1/1-0.png") == b"new"
    assert storage.keys() == ["job_1/1-0.png"]


def test_missing_keys_raise_file_not_found(storage: Storage) -> None:
    with pytest.raises(FileNotFoundError):
        storage.get("job_1/1-0.png")


def test_delete_is_idempotent(storage: Storage) -> None:
    storage.put("job_1/1-0.png", b"x")
    storage.delete("job_1/1-0.png")
    storage.delete("job_1/1-0.png")  # already gone: no error
    assert storage.keys() == []


def test_delete_prefix_keeps_what_it_is_told_to_and_stays_in_its_folder(storage: Storage) -> None:
    for key in ("job_1/1-0.png", "job_1/2-0.png", "job_10/1-0.png", "job_2/1-0.png"):
        storage.put(key, b"x")
    removed = storage.delete_prefix("job_1", keep=frozenset({"job_1/2-0.png"}))
    assert removed == ["job_1/1-0.png"]  # job_10 shares the letters, not the folder
    assert storage.keys() == ["job_1/2-0.png", "job_10/1-0.png", "job_2/1-0.png"]
    assert storage.keys("job_2") == ["job_2/1-0.png"]


@pytest.mark.parametrize("key", ["../escape.png", "/abs.png", "a/../../b.png", "", "a//b"])
def test_keys_cannot_leave_the_store(storage: Storage, key: str) -> None:
    with pytest.raises(StorageError):
        storage.put(key, b"x")


def test_a_store_that_works_passes_its_check_and_has_no_fault(storage: Storage) -> None:
    storage.check()
    storage.put("job_1/1-0.png", b"x")
    assert storage.fault is None
