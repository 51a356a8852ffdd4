import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from sfumato.db.outbox import WebhookOutbox
from sfumato.db.queue import JobQueue
from sfumato.db.tables import ImageRow, JobRow
from sfumato.domain.generation import GenerationRequest
from sfumato.domain.ids import new_id
from sfumato.domain.images import Image, StoredFile
from sfumato.domain.jobs import Job
from sfumato.domain.models import MODELS
from tests.conftest import QUEUE_LEASE, ManualClock

LEASE = QUEUE_LEASE


def enqueue(queue: JobQueue, key_id: str, count: int = 1) -> list[str]:
    ids = []
    for i in range(count):
        params = GenerationRequest(prompt=f"p{i}", seed=i).resolve(MODELS["tiny"], seed=0)
        with queue.db.write() as session:
            ids.append(queue.add(session, job_id=new_id("job"), key_id=key_id, params=params).id)
    return ids


def status(queue: JobQueue, job_id: str) -> JobRow:
    with queue.db.read() as session:
        job = session.get(JobRow, job_id)
        assert job is not None
        return job


def image_row(job: Job, index: int, clock: ManualClock) -> Image:
    return Image.create(
        key_id=job.key_id,
        job_id=job.id,
        job_index=index,
        name="n",
        file=StoredFile(f"{job.id}/{index}.png", "png", 256, 256, 1),
        prompt="p",
        negative_prompt=None,
        seed=index,
        model="tiny",
        style=None,
        now=clock.now(),
        retention=timedelta(0),
    )


def test_claims_take_the_oldest_jobs_first(queue: JobQueue, key_id: str) -> None:
    first, second, third = enqueue(queue, key_id, 3)
    assert [job.id for job in queue.claim("w1", 2)] == [first, second]
    assert [job.id for job in queue.claim("w2", 2)] == [third]
    assert queue.claim("w3", 2) == []


def test_a_claim_sets_the_lease_and_counts_an_attempt(
    queue: JobQueue, key_id: str, clock: ManualClock
) -> None:
    (job_id,) = enqueue(queue, key_id)
    (job,) = queue.claim("w1")
    assert job.id == job_id
    assert (job.status, job.lease_owner, job.attempts) == ("processing", "w1", 1)
    assert job.started_at is not None and job.lease_expires_at is not None
    assert (job.lease_expires_at - job.started_at).total_seconds() == pytest.approx(LEASE, abs=0.01)


def test_renewal_extends_the_lease_and_records_progress(
    queue: JobQueue, key_id: str, clock: ManualClock
) -> None:
    (job_id,) = enqueue(queue, key_id)
    (claimed,) = queue.claim("w1")
    clock.advance(seconds=20)
    assert queue.renew("w1", {job_id: 0.5}) == {job_id}
    job = status(queue, job_id)
    assert job.progress == 0.5
    assert job.lease_expires_at is not None and claimed.lease_expires_at is not None
    assert job.lease_expires_at > claimed.lease_expires_at


def test_a_lapsed_lease_returns_the_job_to_the_queue(
    queue: JobQueue, key_id: str, clock: ManualClock
) -> None:
    (job_id,) = enqueue(queue, key_id)
    queue.claim("w1")
    clock.advance(seconds=LEASE - 1)
    assert queue.requeue_expired().requeued == []
    clock.advance(seconds=2)
    assert queue.requeue_expired().requeued == [job_id]
    job = status(queue, job_id)
    assert (job.status, job.lease_owner, job.attempts) == ("queued", None, 1)
    (again,) = queue.claim("w2")
    assert (again.id, again.attempts) == (job_id, 2)


def test_the_old_holder_cannot_finish_or_renew_a_job_it_lost(
    queue: JobQueue, key_id: str, clock: ManualClock
) -> None:
    (job_id,) = enqueue(queue, key_id)
    (job,) = queue.claim("w1")
    clock.advance(seconds=LEASE + 1)
    queue.requeue_expired()
    queue.claim("w2")
    assert queue.renew("w1", {job_id: 0.9}) == set()
    assert not queue.complete("w1", job_id, [image_row(job, 0, clock)])
    assert queue.complete("w2", job_id, [image_row(job, 0, clock)])
    with queue.db.read() as session:
        assert len(session.scalars(select(ImageRow).where(ImageRow.job_id == job_id)).all()) == 1


def test_a_job_fails_after_its_last_attempt(queue: JobQueue, key_id: str, clock: ManualClock) -> None:
    (job_id,) = enqueue(queue, key_id)
    for attempt in range(3):
        queue.claim(f"w{attempt}")
        clock.advance(seconds=LEASE + 1)
        expired = queue.requeue_expired()
    assert expired.failed == [job_id]
    job = status(queue, job_id)
    assert (job.status, job.error_code, job.attempts) == ("failed", "worker_lost", 3)
    assert job.completed_at is not None


def test_terminal_states_are_written_once(queue: JobQueue, key_id: str, clock: ManualClock) -> None:
    (job_id,) = enqueue(queue, key_id)
    (job,) = queue.claim("w1")
    assert queue.cancel(job_id, key_id)
    assert not queue.complete("w1", job_id, [image_row(job, 0, clock)])
    assert not queue.fail("w1", job_id, "x", "y")
    assert not queue.cancel(job_id, key_id)
    assert status(queue, job_id).status == "canceled"


def test_a_canceled_queued_job_is_never_claimed(queue: JobQueue, key_id: str) -> None:
    (job_id,) = enqueue(queue, key_id)
    assert queue.cancel(job_id, key_id)
    assert queue.claim("w1") == []


def test_cancel_needs_the_owning_key(queue: JobQueue, key_id: str) -> None:
    (job_id,) = enqueue(queue, key_id)
    assert not queue.cancel(job_id, "key_someone_else")
    assert status(queue, job_id).status == "queued"


def test_a_released_job_is_queued_again_without_spending_an_attempt(queue: JobQueue, key_id: str) -> None:
    (job_id,) = enqueue(queue, key_id)
    queue.claim("w1")
    queue.release("w1", [job_id])
    job = status(queue, job_id)
    assert (job.status, job.attempts, job.lease_owner) == ("queued", 0, None)


def test_depth_counts_queued_jobs(queue: JobQueue, key_id: str) -> None:
    enqueue(queue, key_id, 3)
    queue.claim("w1")
    assert queue.depth() == 2 and queue.has_queued()


def test_concurrent_workers_never_claim_the_same_job(queue: JobQueue, key_id: str) -> None:
    job_ids = enqueue(queue, key_id, 300)
    claimed: dict[str, list[str]] = {f"w{i}": [] for i in range(6)}

    def work(name: str) -> None:
        while jobs := queue.claim(name, 3):
            claimed[name].extend(job.id for job in jobs)

    threads = [threading.Thread(target=work, args=(name,)) for name in claimed]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everything = [job_id for ids in claimed.values() for job_id in ids]
    assert sorted(everything) == sorted(job_ids)  # each exactly once
    assert sum(1 for ids in claimed.values() if ids) > 1  # and the work was really shared


def enqueue_params(queue: JobQueue, key_id: str, **fields: object) -> str:
    values = {"prompt": "p", "width": 256, "height": 256} | fields
    params = GenerationRequest(**values).resolve(MODELS["tiny"], seed=0)  # type: ignore[arg-type]
    with queue.db.write() as session:
        return queue.add(session, job_id=new_id("job"), key_id=key_id, params=params).id


def test_a_batch_claim_takes_the_oldest_job_and_compatible_ones_up_to_the_budget(
    queue: JobQueue, key_id: str
) -> None:
    first = enqueue_params(queue, key_id, n=2)
    other_size = enqueue_params(queue, key_id, width=512)
    second = enqueue_params(queue, key_id, prompt="another", n=3)
    too_many = enqueue_params(queue, key_id, n=4)
    third = enqueue_params(queue, key_id, n=1)
    claimed = queue.claim_batch("w", 6)
    assert [job.id for job in claimed] == [first, second, third]
    assert all(job.status == "processing" and job.lease_owner == "w" for job in claimed)
    assert status(queue, other_size).status == status(queue, too_many).status == "queued"
    # The next batch starts from the oldest job left, whatever its shape.
    assert [job.id for job in queue.claim_batch("w", 6)] == [other_size]


def test_topping_up_takes_only_jobs_of_the_batch_in_hand(queue: JobQueue, key_id: str) -> None:
    enqueue_params(queue, key_id)
    (first,) = queue.claim_batch("w", 8)
    other_size = enqueue_params(queue, key_id, width=512)
    same = enqueue_params(queue, key_id, prompt="later")
    more = queue.claim_batch("w", 7, batch_key=first.batch_key)
    assert [job.id for job in more] == [same]
    assert status(queue, other_size).status == "queued"


def test_a_batch_claim_on_an_empty_queue_takes_nothing(queue: JobQueue) -> None:
    assert queue.claim_batch("w", 8) == []


def test_concurrent_batch_claims_never_take_the_same_job(queue: JobQueue, key_id: str) -> None:
    ids = {enqueue_params(queue, key_id, prompt=f"p{i}") for i in range(40)}
    taken: list[str] = []
    lock = threading.Lock()

    def claim(owner: str) -> None:
        while jobs := queue.claim_batch(owner, 3):
            with lock:
                taken.extend(job.id for job in jobs)

    threads = [threading.Thread(target=claim, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(taken) == sorted(ids)


def test_completing_records_the_engines_warnings(queue: JobQueue, key_id: str) -> None:
    job_id = enqueue_params(queue, key_id)
    queue.claim_batch("w", 1)
    assert queue.complete("w", job_id, [], ["prompt is 90 tokens long"])
    assert status(queue, job_id).warnings == ["prompt is 90 tokens long"]


def deliveries(queue: JobQueue, job_id: str) -> list[str]:
    return [d.event for d in WebhookOutbox(queue.db, queue.clock).of_job(job_id)]


def test_the_end_of_a_job_with_a_webhook_writes_its_delivery_in_the_same_transaction(
    queue: JobQueue, key_id: str, clock: ManualClock
) -> None:
    hooked = enqueue_params(queue, key_id, webhook_url="https://hooks.example/a")
    plain = enqueue_params(queue, key_id)
    queue.claim_batch("w", 8)
    assert queue.complete("w", hooked, []) and queue.complete("w", plain, [])
    assert not queue.complete("other", hooked, [])  # a second end writes nothing either
    assert deliveries(queue, hooked) == ["job.succeeded"] and deliveries(queue, plain) == []

    failed = enqueue_params(queue, key_id, webhook_url="https://hooks.example/b")
    queue.claim_batch("w", 8)
    queue.fail("w", failed, "generation_failed", "boom")
    canceled = enqueue_params(queue, key_id, webhook_url="https://hooks.example/c")
    queue.cancel(canceled, key_id)
    queue.cancel(canceled, key_id)
    assert deliveries(queue, failed) == ["job.failed"] and deliveries(queue, canceled) == ["job.canceled"]

    lost = enqueue_params(queue, key_id, webhook_url="https://hooks.example/d")
    for _ in range(3):  # every attempt's worker vanishes
        queue.claim_batch("w", 8)
        clock.advance(seconds=LEASE + 1)
        queue.requeue_expired()
    assert status(queue, lost).status == "failed" and deliveries(queue, lost) == ["job.failed"]


@pytest.mark.scaled_out
def test_a_claim_skips_a_job_another_claim_holds_instead_of_waiting_for_it(
    queue: JobQueue, key_id: str
) -> None:
    """SKIP LOCKED: while another transaction holds the oldest job's row (a claim in flight elsewhere), a
    claim takes the next job at once. Without it, the claim would wait on that lock until it is let go."""
    first, second = enqueue(queue, key_id, 2)
    held = queue.db.engine.connect()
    transaction = held.begin()
    held.execute(select(JobRow.id).where(JobRow.id == first).with_for_update())  # another claim's lock
    claimed: list[list[str]] = []
    claimer = threading.Thread(target=lambda: claimed.append([j.id for j in queue.claim_batch("w1", 1)]))
    try:
        claimer.start()
        claimer.join(30)  # the lock is still held here: only a claim that skips it can have returned
        assert not claimer.is_alive(), "the claim waited on the other transaction's lock"
        assert claimed == [[second]]
    finally:
        transaction.rollback()
        held.close()
        claimer.join(30)
