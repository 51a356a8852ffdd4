import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text

from sfumato.db import usage
from sfumato.db.database import Database, retry
from sfumato.db.outbox import WebhookOutbox
from sfumato.db.queue import Expired, JobQueue
from sfumato.db.tables import ImageRow, JobRow
from sfumato.db.usage import UsageStore
from sfumato.domain.errors import DatabaseUnavailable
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


def test_depth_with_a_bound_counts_no_further_than_it(queue: JobQueue, key_id: str) -> None:
    enqueue(queue, key_id, 5)
    assert [queue.depth(at_most=bound) for bound in (1, 3, 5, 9)] == [1, 3, 5, 5]


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


def images_of(queue: JobQueue, job_id: str) -> list[str]:
    with queue.db.read() as session:
        return list(session.scalars(select(ImageRow.id).where(ImageRow.job_id == job_id)))


def test_completing_again_after_a_lost_answer_recognises_its_own_landed_commit(
    queue: JobQueue, key_id: str, clock: ManualClock
) -> None:
    """The worker retries `complete` through a database restart: a try whose commit landed but whose
    answer was lost must answer True again (the images are the job's), and store nothing twice."""
    (job_id,) = enqueue(queue, key_id)
    (job,) = queue.claim_batch("w", 1)
    made = [image_row(job, 0, clock), image_row(job, 1, clock)]
    tries: list[bool] = []

    def complete_losing_the_first_answer() -> bool:
        done = queue.complete("w", job_id, made)
        tries.append(done)
        if len(tries) == 1:
            raise DatabaseUnavailable()  # the commit landed; its answer did not reach the worker
        return done

    assert retry(complete_losing_the_first_answer, seconds=5, sleep=lambda _: None)
    assert tries == [True, True]
    assert sorted(images_of(queue, job_id)) == sorted(image.id for image in made)
    assert status(queue, job_id).status == "succeeded"


def test_completing_a_job_whose_images_did_not_land_is_refused(
    queue: JobQueue, key_id: str, clock: ManualClock
) -> None:
    """Another worker's images, a subset of them, or none at all do not make a later `complete` succeed."""
    (job_id,) = enqueue(queue, key_id)
    (job,) = queue.claim_batch("w", 1)
    landed = [image_row(job, 0, clock), image_row(job, 1, clock)]
    assert queue.complete("w", job_id, landed)
    assert not queue.complete("w", job_id, [image_row(job, 0, clock)])  # an image that never landed
    assert not queue.complete("w", job_id, [*landed, image_row(job, 2, clock)])  # one of three missing
    assert not queue.complete("w", job_id, [])  # nothing to recognise
    assert queue.complete("w", job_id, landed[:1])  # every one of these did land
    assert len(images_of(queue, job_id)) == 2


def charged(queue: JobQueue, key_id: str, n: int = 2) -> str:
    """A job of n images charged to the key's month, as the generation service enqueues it."""
    params = GenerationRequest(prompt="p", width=256, height=256, n=n).resolve(MODELS["tiny"], seed=0)
    with queue.db.write() as session:
        usage.charge(session, key_id, "2026-01", n, quota=None)
        return queue.add(
            session, job_id=new_id("job"), key_id=key_id, params=params, charged_month="2026-01"
        ).id


def used(queue: JobQueue, key_id: str) -> int:
    return UsageStore(queue.db).used(key_id, "2026-01")


def test_a_claim_starts_the_progress_afresh_and_keeps_the_first_attempts_start(
    queue: JobQueue, key_id: str, clock: ManualClock
) -> None:
    (job_id,) = enqueue(queue, key_id)
    (first,) = queue.claim("w1")
    queue.renew("w1", {job_id: 0.7})
    clock.advance(seconds=LEASE + 1)
    queue.requeue_expired()
    requeued = status(queue, job_id)
    assert (requeued.progress, requeued.lease_expires_at, requeued.lease_owner) == (0.0, None, None)
    clock.advance(seconds=5)
    (second,) = queue.claim("w2")
    assert second.started_at == first.started_at  # the job started at its first attempt
    assert second.progress == 0.0 and second.lease_owner == "w2"
    assert second.lease_expires_at is not None and second.lease_expires_at > clock.now()


def test_a_lapsed_jobs_last_attempt_fails_with_words(
    queue: JobQueue, key_id: str, clock: ManualClock
) -> None:
    (job_id,) = enqueue(queue, key_id)
    for attempt in range(3):
        queue.claim(f"w{attempt}")
        clock.advance(seconds=LEASE + 1)
        queue.requeue_expired()
    job = status(queue, job_id)
    assert job.error_message == "the workers running this job stopped answering on every attempt"
    assert job.lease_expires_at is None
    assert deliveries(queue, job_id) == []  # no webhook asked for: none written


def test_only_lapsed_leases_are_taken_back(queue: JobQueue, key_id: str, clock: ManualClock) -> None:
    early, late = enqueue(queue, key_id, 2)
    queue.claim("w1")
    clock.advance(seconds=LEASE / 2)
    queue.claim("w2")
    clock.advance(seconds=LEASE / 2 + 1)
    assert queue.requeue_expired().requeued == [early]
    assert status(queue, late).status == "processing"


def test_renewal_clamps_progress_sets_previews_given_and_answers_only_jobs_still_held(
    queue: JobQueue, key_id: str
) -> None:
    mine, also_mine, theirs = enqueue(queue, key_id, 3)
    queue.claim("w1", 2)
    queue.claim("w2", 1)
    held = queue.renew("w1", {mine: 1.7, also_mine: -0.2, theirs: 0.5}, {mine: "cHJldmlldw=="})
    assert held == {mine, also_mine}
    assert (status(queue, mine).progress, status(queue, mine).preview) == (1.0, "cHJldmlldw==")
    assert (status(queue, also_mine).progress, status(queue, also_mine).preview) == (0.0, None)
    assert status(queue, theirs).progress == 0.0  # w2's job: untouched by w1
    queue.renew("w1", {mine: 0.5})
    assert status(queue, mine).preview == "cHJldmlldw=="  # no new preview: the last one stays


def test_a_release_hands_back_only_the_owners_jobs_and_clears_what_the_run_left(
    queue: JobQueue, key_id: str
) -> None:
    mine, theirs = enqueue(queue, key_id, 2)
    queue.claim("w1", 1)
    queue.claim("w2", 1)
    queue.renew("w1", {mine: 0.5}, {mine: "cHJldmlldw=="})
    queue.release("w1", [mine, theirs])
    job = status(queue, mine)
    assert (job.status, job.lease_expires_at, job.progress, job.preview) == ("queued", None, 0.0, None)
    assert (status(queue, theirs).status, status(queue, theirs).attempts) == ("processing", 1)
    queue.release("w1", [])  # nothing to hand back: no write at all


def test_canceling_a_running_job_ends_it_now_and_keeps_its_charge(
    queue: JobQueue, key_id: str, clock: ManualClock
) -> None:
    job_id = charged(queue, key_id)
    queue.claim("w1")
    queue.renew("w1", {job_id: 0.5}, {job_id: "cHJldmlldw=="})
    assert queue.cancel(job_id, key_id)
    job = status(queue, job_id)
    assert (job.status, job.lease_expires_at, job.preview) == ("canceled", None, None)
    assert job.completed_at is not None
    assert used(queue, key_id) == 2  # it had its GPU time


def test_canceling_a_queued_job_gives_its_images_back(queue: JobQueue, key_id: str) -> None:
    job_id = charged(queue, key_id)
    assert not queue.cancel(job_id, "key_someone_else")
    assert used(queue, key_id) == 2
    assert queue.cancel(job_id, key_id)
    assert used(queue, key_id) == 0


def test_deleting_a_job_takes_its_images_and_refunds_only_one_that_never_ran(
    queue: JobQueue, key_id: str, clock: ManualClock
) -> None:
    waiting, done = charged(queue, key_id), charged(queue, key_id)
    assert used(queue, key_id) == 4
    queue.claim_batch("w", 1)  # the older one, `waiting`, is taken first: cancel it so `done` runs
    assert queue.cancel(waiting, key_id) and used(queue, key_id) == 4
    waiting = charged(queue, key_id)
    (job,) = queue.claim("w", 1)
    assert job.id == done
    assert queue.complete("w", done, [image_row(job, 0, clock), image_row(job, 1, clock)])
    assert not queue.delete(done, "key_someone_else")
    assert len(images_of(queue, done)) == 2
    assert queue.delete(done, key_id)
    assert images_of(queue, done) == [] and used(queue, key_id) == 6  # a succeeded job stays charged
    assert queue.delete(waiting, key_id)
    assert used(queue, key_id) == 4  # a queued job never ran: its two images come back
    with queue.db.read() as session:
        assert session.get(JobRow, done) is None and session.get(JobRow, waiting) is None
    assert not queue.delete(done, key_id)  # already gone


def test_an_idle_worker_finds_nothing_to_claim_without_a_write(queue: JobQueue, key_id: str) -> None:
    assert not queue.has_queued() and queue.depth() == 0
    assert queue.claim_batch("w", 4) == []
    enqueue(queue, key_id)
    assert queue.has_queued()


def test_a_failure_records_its_code_and_its_words(queue: JobQueue, key_id: str) -> None:
    (job_id,) = enqueue(queue, key_id)
    queue.claim("w1")
    assert queue.fail("w1", job_id, "generation_failed", "the model could not make this job's images")
    job = status(queue, job_id)
    assert (job.status, job.error_code) == ("failed", "generation_failed")
    assert job.error_message == "the model could not make this job's images"


def test_a_release_hands_back_only_the_jobs_named_and_never_an_ended_one(
    queue: JobQueue, key_id: str
) -> None:
    kept, handed_back, canceled = enqueue(queue, key_id, 3)
    queue.claim("w1", 3)
    assert queue.cancel(canceled, key_id)
    queue.release("w1", [handed_back, canceled])
    assert status(queue, kept).status == "processing"
    assert status(queue, handed_back).status == "queued"
    assert status(queue, canceled).status == "canceled"


def test_a_canceled_job_is_no_longer_held_by_the_worker_running_it(queue: JobQueue, key_id: str) -> None:
    (job_id,) = enqueue(queue, key_id)
    queue.claim("w1")
    assert queue.cancel(job_id, key_id)
    assert queue.renew("w1", {job_id: 0.5}) == set()  # the worker stops at its next renewal
    assert status(queue, job_id).progress == 0.0


def test_a_lease_lapses_after_its_end_not_at_it(queue: JobQueue, key_id: str, clock: ManualClock) -> None:
    (job_id,) = enqueue(queue, key_id)
    (job,) = queue.claim("w1")
    assert job.lease_expires_at is not None
    read = clock.now()  # each reading ticks 1 ms: the next one is exactly the lease's end
    clock.advance(seconds=(job.lease_expires_at - read).total_seconds() - 0.001)
    assert queue.requeue_expired().requeued == []
    assert queue.requeue_expired().requeued == [job_id]  # a tick later


def test_of_two_lapsed_jobs_the_one_with_attempts_left_is_queued_and_the_other_fails(
    queue: JobQueue, key_id: str, clock: ManualClock
) -> None:
    veteran, newcomer = enqueue(queue, key_id, 2)
    for attempt in range(2):  # the veteran spends two of its three attempts alone
        queue.claim(f"w{attempt}", 1)
        clock.advance(seconds=LEASE + 1)
        queue.requeue_expired()
    assert {job.id for job in queue.claim("w", 2)} == {veteran, newcomer}
    clock.advance(seconds=LEASE + 1)
    assert queue.requeue_expired() == Expired(requeued=[newcomer], failed=[veteran])
    assert (status(queue, veteran).status, status(queue, newcomer).status) == ("failed", "queued")
    assert queue.requeue_expired() == Expired([], [])  # nothing lapsed any more


def test_a_completed_job_shows_all_its_progress(queue: JobQueue, key_id: str) -> None:
    (job_id,) = enqueue(queue, key_id)
    queue.claim("w1")
    queue.renew("w1", {job_id: 0.25})
    assert queue.complete("w1", job_id, [])
    assert status(queue, job_id).progress == 1.0


def test_topping_up_never_passes_the_budget_even_with_nothing_in_hand(queue: JobQueue, key_id: str) -> None:
    """A fresh batch may start with a job larger than the budget (else it would wait for ever); a batch in
    hand is only topped up within what is left of it."""
    enqueue_params(queue, key_id)
    (first,) = queue.claim_batch("w", 8)
    large = enqueue_params(queue, key_id, prompt="large", n=4)
    assert queue.claim_batch("w", 3, batch_key=first.batch_key) == []
    assert status(queue, large).status == "queued"
    assert [job.id for job in queue.claim_batch("w2", 3)] == [large]  # a fresh batch takes it


@pytest.mark.embedded
def test_an_idle_worker_looks_for_work_without_waiting_for_the_write_lock(
    queue: JobQueue, key_id: str
) -> None:
    answers: list[list[Job]] = []
    looker = threading.Thread(target=lambda: answers.append(queue.claim_batch("w", 4)))
    with queue.db.write_connection() as writer:  # BEGIN IMMEDIATE: a long write holds SQLite's one lock
        writer.execute(text("SELECT 1"))
        looker.start()
        looker.join(10)  # the lock is still held: only a look that takes no write lock has returned
        alive = looker.is_alive()
    looker.join(30)
    assert not alive, "an idle claim waited for the write lock"
    assert answers == [[]]


class _StillClock:
    """Time that does not move: every job is created at the same instant."""

    def now(self) -> datetime:
        return datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


def test_jobs_created_at_the_same_instant_are_claimed_in_the_order_of_their_ids(
    db: Database, key_id: str
) -> None:
    queue = JobQueue(db, _StillClock(), lease_seconds=LEASE, max_attempts=3)
    ids = enqueue(queue, key_id, 5)
    claimed = [job.id for _ in ids for job in queue.claim("w", 1)]
    assert claimed == sorted(ids)


def test_an_ended_job_keeps_neither_its_lease_nor_its_preview(queue: JobQueue, key_id: str) -> None:
    done, failed = enqueue(queue, key_id, 2)
    queue.claim("w1", 2)
    queue.renew("w1", {done: 0.5, failed: 0.5}, {done: "cHJldmlldw==", failed: "cHJldmlldw=="})
    assert queue.complete("w1", done, []) and queue.fail("w1", failed, "generation_failed", "no")
    for job_id in (done, failed):
        job = status(queue, job_id)
        assert (job.lease_expires_at, job.preview) == (None, None)
        assert job.completed_at is not None and job.started_at is not None
        assert job.completed_at >= job.started_at
