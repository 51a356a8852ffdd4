"""A worker's side of LoRA adapters (services/worker/adapters.py, claimer.py): their files on its disk, read
once from a bucket, and its claims, which take more of the adapters it has loaded, a few batches at most."""

import hashlib
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from sfumato.config import Settings
from sfumato.db.queue import JobQueue
from sfumato.db.tables import JobRow
from sfumato.domain.generation import GenerationRequest
from sfumato.domain.ids import new_id
from sfumato.domain.loras import Adapter, storage_key
from sfumato.domain.models import MODELS
from sfumato.services.metrics import Metrics
from sfumato.services.startup import checked_storage
from sfumato.services.worker.adapters import AdapterCounters, AdapterFiles, AdapterMissing
from sfumato.services.worker.claimer import Claimer
from sfumato.services.worker.held_jobs import HeldJobs
from sfumato.storage import Storage


@pytest.fixture
def storage(settings: Settings) -> Storage:
    return checked_storage(settings)


def stored(storage: Storage, data: bytes, name: str = "ink") -> Adapter:
    lora_id = new_id("lora")
    storage.put(storage_key(lora_id), data)
    return Adapter(lora_id, name, 1.0, hashlib.sha256(data).hexdigest(), storage_key(lora_id), len(data))


def test_a_files_path_is_where_the_store_keeps_it_or_a_copy_read_once(
    storage: Storage, tmp_path: Path
) -> None:
    files = AdapterFiles(storage, tmp_path / "cache", max_bytes=10_000)
    adapter = stored(storage, b"weights" * 100)
    (first,) = files.files([adapter])
    assert first.path.read_bytes() == b"weights" * 100 and (first.id, first.weight) == (adapter.id, 1.0)
    if storage.local_path(adapter.storage_key) is None:  # a bucket: a copy, kept
        assert first.path.parent == tmp_path / "cache"
        storage.delete(adapter.storage_key)
        (again,) = files.files([adapter])  # no read of the store
        assert again.path == first.path and again.path.read_bytes() == b"weights" * 100


def test_a_file_gone_from_the_store_fails_its_job_saying_so(storage: Storage, tmp_path: Path) -> None:
    files = AdapterFiles(storage, tmp_path / "cache", max_bytes=10_000)
    adapter = stored(storage, b"weights")
    storage.delete(adapter.storage_key)
    with pytest.raises(AdapterMissing) as missing:
        files.files([adapter])
    assert missing.value.code == "lora_missing" and "'ink'" in missing.value.message


@pytest.mark.scaled_out
def test_copies_from_a_bucket_stay_within_their_bound_least_recently_used_first(
    storage: Storage, tmp_path: Path
) -> None:
    files = AdapterFiles(storage, tmp_path / "cache", max_bytes=2_500)
    one, two, three = (stored(storage, bytes([index]) * 1000, f"n{index}") for index in (1, 2, 3))
    files.files([one])
    files.files([two])
    files.files([one])  # used again: `two` is now the oldest
    files.files([three])
    kept = sorted(path.name for path in (tmp_path / "cache").glob("*.safetensors"))
    assert kept == sorted(f"{adapter.sha256}.safetensors" for adapter in (one, three))


@pytest.mark.scaled_out
def test_a_copy_that_is_not_the_file_uploaded_is_refused(storage: Storage, tmp_path: Path) -> None:
    files = AdapterFiles(storage, tmp_path / "cache", max_bytes=10_000)
    adapter = stored(storage, b"weights")
    storage.put(adapter.storage_key, b"other weights")
    with pytest.raises(AdapterMissing):
        files.files([adapter])
    assert list((tmp_path / "cache").glob("*.safetensors")) == []


def send(queue: JobQueue, key_id: str, adapters: tuple[Adapter, ...] = ()) -> str:
    params = GenerationRequest(prompt="p", width=256, height=256).resolve(MODELS["tiny"], seed=0)
    with queue.db.write() as session:
        job = queue.add(session, job_id=new_id("job"), key_id=key_id, params=replace(params, loras=adapters))
    return job.id


def test_a_worker_takes_more_of_the_adapters_it_holds_three_batches_in_a_row_at_most(
    queue: JobQueue, key_id: str, storage: Storage, tmp_path: Path
) -> None:
    ink = stored(storage, b"weights")
    first = send(queue, key_id, (ink,))
    plain = send(queue, key_id)
    more = [send(queue, key_id, (ink,)) for _ in range(4)]
    claimer = Claimer(
        queue,
        storage,
        HeldJobs(),
        owner="w",
        budget=1,  # a job a batch, so the order shows
        batch_wait=0.0,
        stopping=threading.Event(),
        wake=threading.Event(),
        on_finished=lambda job_id: None,
        adapter_files=AdapterFiles(storage, tmp_path / "cache", max_bytes=10_000),
    )
    order = []
    for _ in range(6):
        (held,) = claimer.next_batch()
        order.append(held.job.id)
        assert [file.id for file in held.adapters] == ([ink.id] if held.job.id != plain else [])
    # The oldest, three more of its adapters, then the job that waited, then the rest.
    assert order == [first, *more[:3], plain, more[3]]
    claimer.release_ahead()


def test_a_job_whose_lora_was_deleted_fails_alone_saying_so(
    queue: JobQueue, key_id: str, storage: Storage, tmp_path: Path
) -> None:
    gone = stored(storage, b"weights", "gone")
    lost = send(queue, key_id, (gone,))
    plain = send(queue, key_id)
    storage.delete(gone.storage_key)  # deleted after the job was queued
    ended: list[str] = []
    claimer = Claimer(
        queue,
        storage,
        HeldJobs(),
        owner="w",
        budget=1,
        batch_wait=0.0,
        stopping=threading.Event(),
        wake=threading.Event(),
        on_finished=ended.append,
        adapter_files=AdapterFiles(storage, tmp_path / "cache", max_bytes=10_000),
    )
    assert claimer.next_batch() == [] and ended == [lost]
    (held,) = claimer.next_batch()
    assert held.job.id == plain
    with queue.db.read() as session:
        row = session.get(JobRow, lost)
        assert row is not None and (row.status, row.error_code) == ("failed", "lora_missing")
        assert "'gone' was deleted after this job was queued" in (row.error_message or "")
    claimer.release_ahead()


def test_the_caches_events_are_counted_in_metrics() -> None:
    metrics = Metrics()
    counters = AdapterCounters(metrics)
    counters.loaded(0.03)
    counters.hit()
    counters.hit()
    counters.evicted()
    counters.recompiled(2)
    text = metrics.render().decode()
    for line in (
        "sfumato_lora_loads_total 1.0",
        "sfumato_lora_hits_total 2.0",
        "sfumato_lora_evictions_total 1.0",
        "sfumato_recompiles_total 2.0",
        'sfumato_lora_load_seconds_bucket{le="0.05"} 1.0',
    ):
        assert line in text
