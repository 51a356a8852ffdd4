"""db.jobs: the jobs table read as records, each key's own, with the images that still exist; what metrics,
the dashboard and the sweeper ask of it, on both databases."""

import time
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, select, update

from sfumato.db import idempotency
from sfumato.db.database import Database
from sfumato.db.images import ImageStore
from sfumato.db.jobs import JobStore, SweepWindow, WorkerSeen
from sfumato.db.queue import JobQueue
from sfumato.db.tables import DeliveryRow, JobRow
from sfumato.domain import batching
from sfumato.domain.generation import GenerationRequest
from sfumato.domain.ids import new_id
from sfumato.domain.images import Image, StoredFile
from sfumato.domain.jobs import Job, JobStatus
from sfumato.domain.models import MODELS
from tests.conftest import ManualClock
from tests.db.test_idempotency import second_key
from tests.db.test_queue import _StillClock, enqueue, enqueue_params

DAY = timedelta(days=1)


def made(job: Job, index: int | None, clock: ManualClock, retention: timedelta = DAY) -> Image:
    """An image of this job: one of its n when `index` is a number, a transform of them when None."""
    return Image.create(
        key_id=job.key_id,
        job_id=job.id,
        job_index=index,
        name=f"n{index}",
        file=StoredFile(f"{job.id}/{new_id('f')}.png", "png", 256, 256, 10),
        prompt="p",
        negative_prompt=None,
        seed=index or 0,
        model="tiny",
        style=None,
        now=clock.now(),
        retention=retention,
    )


def succeed(queue: JobQueue, job_id: str, clock: ManualClock, images: int = 1) -> list[Image]:
    (job,) = [job for job in queue.claim("w") if job.id == job_id]
    done = [made(job, i, clock) for i in range(images)]
    assert queue.complete("w", job.id, done)
    return done


def test_a_job_reads_back_as_it_was_queued_then_claimed_then_ended(
    db: Database, queue: JobQueue, key_id: str, clock: ManualClock
) -> None:
    params = GenerationRequest(prompt="a fox", seed=7, n=2, width=256, height=256).resolve(MODELS["tiny"], 0)
    with db.write() as session:
        queued = queue.add(session, job_id="job_1", key_id=key_id, params=params, charged_month="2026-01")
    jobs = JobStore(db)
    found = jobs.get(key_id, "job_1", clock.now())
    assert found is not None
    assert found == (queued, [])
    job = found[0]
    assert (job.id, job.key_id, job.status, job.params) == ("job_1", key_id, JobStatus.QUEUED, params)
    assert (job.progress, job.attempts, job.max_attempts, job.charged_month) == (0.0, 0, 3, "2026-01")
    assert job.created_at is not None and job.started_at is None and job.completed_at is None
    with db.read() as session:
        row = session.get(JobRow, "job_1")
        assert row is not None
        assert (row.model, row.n, row.batch_key) == ("tiny", 2, batching.batch_key(params))

    (claimed,) = queue.claim("gpu-0")
    assert queue.renew("gpu-0", {"job_1": 0.5}, {"job_1": "data:image/jpeg;base64,AAAA"}) == {"job_1"}
    running = jobs.get(key_id, "job_1", clock.now())
    assert running is not None
    job = running[0]
    assert (job.status, job.attempts, job.progress, job.lease_owner) == ("processing", 1, 0.5, "gpu-0")
    assert job.started_at == claimed.started_at and job.started_at is not None
    assert job.lease_expires_at is not None and job.lease_expires_at > job.started_at
    assert job.preview == "data:image/jpeg;base64,AAAA"

    assert queue.fail("gpu-0", "job_1", "generation_failed", "out of memory")
    ended = jobs.get(key_id, "job_1", clock.now())
    assert ended is not None
    job = ended[0]
    assert (job.status, job.error_code, job.error_message) == ("failed", "generation_failed", "out of memory")
    assert job.completed_at is not None and job.completed_at > job.started_at


def test_a_succeeded_job_carries_its_warnings_and_its_images_in_order(
    db: Database, queue: JobQueue, key_id: str, clock: ManualClock
) -> None:
    (job_id,) = enqueue(queue, key_id)
    (job,) = queue.claim("w")
    first, second = made(job, 0, clock), made(job, 1, clock)
    assert queue.complete("w", job_id, [second, first], warnings=["prompt truncated"])
    found = JobStore(db).get(key_id, job_id, clock.now())
    assert found is not None
    assert found[0].warnings == ["prompt truncated"]
    assert found[1] == [first, second]


def test_a_poll_reads_the_job_and_its_images_in_one_statement(
    db: Database, queue: JobQueue, key_id: str, clock: ManualClock
) -> None:
    # A client polls a job many times a second: one statement, and on SQLite no BEGIN or ROLLBACK around it.
    (job_id,) = enqueue(queue, key_id)
    images = succeed(queue, job_id, clock, images=3)
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        found = JobStore(db).get(key_id, job_id, clock.now())
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert found is not None and found[1] == images and found[0].status is JobStatus.SUCCEEDED
    assert len(seen) == 1, seen


def test_a_job_is_its_own_keys_alone(db: Database, queue: JobQueue, key_id: str, clock: ManualClock) -> None:
    other = second_key(db, key_id)
    (mine,) = enqueue(queue, key_id)
    (theirs,) = enqueue(queue, other)
    jobs = JobStore(db)
    assert jobs.get(other, mine, clock.now()) is None
    assert jobs.get(key_id, theirs, clock.now()) is None
    assert jobs.get(key_id, "job_missing", clock.now()) is None
    assert [job.id for job, _ in jobs.page(key_id, clock.now(), status=None, limit=10, after=None).items] == [
        mine
    ]
    assert [job.id for job in jobs.active(other)] == [theirs]


def test_a_jobs_images_leave_it_when_they_expire_and_its_transforms_are_not_among_them(
    db: Database, queue: JobQueue, key_id: str, clock: ManualClock
) -> None:
    (job_id,) = enqueue(queue, key_id)
    (job,) = queue.claim("w")
    short, kept = made(job, 0, clock, retention=timedelta(hours=1)), made(job, 1, clock)
    assert queue.complete("w", job_id, [short, kept])
    assert ImageStore(db).insert(replace(made(job, None, clock), id=new_id("image")))  # a transform
    jobs = JobStore(db)
    found = jobs.get(key_id, job_id, clock.now())
    assert found is not None and found[1] == [short, kept]
    later = short.expires_at  # expiry is the first moment it is gone
    found = jobs.get(key_id, job_id, later)
    assert found is not None and found[1] == [kept]
    (page_item,) = jobs.page(key_id, later, status=None, limit=10, after=None).items
    assert page_item == (found[0], [kept])


def test_a_page_filters_by_status_and_carries_each_jobs_images(
    db: Database, queue: JobQueue, key_id: str, clock: ManualClock
) -> None:
    done, waiting = enqueue(queue, key_id, 2)
    images = succeed(queue, done, clock, images=2)
    jobs = JobStore(db)
    succeeded = jobs.page(key_id, clock.now(), status=JobStatus.SUCCEEDED, limit=10, after=None)
    assert [(job.id, found) for job, found in succeeded.items] == [(done, images)]
    queued = jobs.page(key_id, clock.now(), status=JobStatus.QUEUED, limit=10, after=None)
    assert [(job.id, found) for job, found in queued.items] == [(waiting, [])]
    everything = jobs.page(key_id, clock.now(), status=None, limit=1, after=None)
    assert len(everything.items) == 1 and everything.has_more


def test_active_jobs_are_the_running_ones_then_the_queued_oldest_first(
    db: Database, queue: JobQueue, key_id: str, clock: ManualClock
) -> None:
    first, second, third, fourth, fifth = enqueue(queue, key_id, 5)
    assert queue.cancel(first, key_id)
    assert {job.id for job in queue.claim("w", 2)} == {second, third}
    succeed_id = third
    assert queue.complete("w", succeed_id, [])
    jobs = JobStore(db)
    assert [job.id for job in jobs.active(key_id)] == [second, fourth, fifth]
    assert [job.id for job in jobs.active(key_id, limit=2)] == [second, fourth]
    (sixth,) = enqueue(queue, key_id)
    (running,) = queue.claim("w")  # the oldest queued: fourth
    assert running.id == fourth
    assert [job.id for job in jobs.active(key_id)] == [second, fourth, fifth, sixth]


def test_images_per_day_sums_the_succeeded_jobs_n_by_their_utc_day_within_the_range(
    db: Database, queue: JobQueue, key_id: str, clock: ManualClock
) -> None:
    other = second_key(db, key_id)
    start = clock.now()  # 2026-01-15, just after noon UTC

    def job(n: int, owner: str = key_id, succeeded: bool = True) -> str:
        job_id = enqueue_params(queue, owner, n=n)
        if succeeded:
            succeed(queue, job_id, clock, images=n)
        else:
            (claimed,) = queue.claim("w")
            assert queue.fail("w", claimed.id, "generation_failed", "no")
        return job_id

    job(2)
    job(3)
    job(4, owner=other)
    job(5, succeeded=False)
    clock.advance(hours=12)  # past midnight UTC: the 16th
    job(1)
    end = clock.now()
    job(6)  # made at `end`'s moment or after: outside the range
    assert JobStore(db).images_per_day(key_id, start, end + timedelta(microseconds=1)) == {
        date(2026, 1, 15): 5,
        date(2026, 1, 16): 1,
    }
    assert JobStore(db).images_per_day(key_id, start, end) == {date(2026, 1, 15): 5, date(2026, 1, 16): 1}
    with db.read() as session:
        created = session.scalars(select(JobRow.created_at).where(JobRow.key_id == key_id)).all()
    first = min(created)
    assert JobStore(db).images_per_day(key_id, first + timedelta(microseconds=1), end) == {
        date(2026, 1, 15): 3,
        date(2026, 1, 16): 1,
    }
    assert JobStore(db).images_per_day(key_id, first, first + timedelta(microseconds=1)) == {
        date(2026, 1, 15): 2
    }


def test_the_workers_are_those_holding_jobs_or_that_ended_one_since(
    db: Database, queue: JobQueue, key_id: str, clock: ManualClock
) -> None:
    enqueue(queue, key_id, 5)
    (old,) = queue.claim("gpu-old")
    assert queue.complete("gpu-old", old.id, [])
    since = clock.now()
    (a1,) = queue.claim("gpu-a")
    assert queue.complete("gpu-a", a1.id, [])
    (a2,) = queue.claim("gpu-a")
    assert queue.fail("gpu-a", a2.id, "generation_failed", "no")
    (b1,) = queue.claim("gpu-b")
    (c1,) = queue.claim("gpu-c")
    assert queue.complete("gpu-c", c1.id, [])
    assert (
        queue.cancel(b1.id, key_id) is True
    )  # canceled while running: it ended, by no completion of gpu-b's
    with db.read() as session:
        ends = {row.id: row.completed_at for row in session.scalars(select(JobRow))}
    seen = JobStore(db).workers(since)
    assert seen == [
        WorkerSeen("gpu-a", running=0, ended=2, last_seen=ends[a2.id]),
        WorkerSeen("gpu-b", running=0, ended=1, last_seen=ends[b1.id]),
        WorkerSeen("gpu-c", running=0, ended=1, last_seen=ends[c1.id]),
    ]
    (d1,) = enqueue(queue, key_id)
    (claimed,) = queue.claim("gpu-d")
    assert claimed.id == d1
    running = JobStore(db).workers(clock.now())  # only the running one is recent enough
    assert running == [WorkerSeen("gpu-d", running=1, ended=0, last_seen=claimed.started_at)]
    assert JobStore(db).workers(ends[a1.id])[0] == WorkerSeen(
        "gpu-a", 0, 2, ends[a2.id]
    )  # since is inclusive


def pending_delivery(db: Database, clock: ManualClock, key_id: str, job_id: str, status: str) -> None:
    with db.write() as session:
        session.add(
            DeliveryRow(
                id=new_id("msg"),
                key_id=key_id,
                job_id=job_id,
                url="https://hooks.example/x",
                event="job.succeeded",
                status=status,
                attempts=0,
                next_attempt_at=clock.now(),
                created_at=clock.now(),
            )
        )


def test_the_sweeper_takes_only_old_ended_jobs_with_no_image_and_no_delivery_to_send(
    db: Database, queue: JobQueue, key_id: str, clock: ManualClock
) -> None:
    ended, with_image, waiting_hook, sent_hook, live, young = enqueue(queue, key_id, 6)
    for job_id in (ended, waiting_hook, sent_hook):
        assert queue.cancel(job_id, key_id)
    succeed(queue, with_image, clock)
    pending_delivery(db, clock, key_id, waiting_hook, "pending")
    pending_delivery(db, clock, key_id, sent_hook, "delivered")
    with db.read() as session:
        young_created = session.scalar(select(JobRow.created_at).where(JobRow.id == young))
    assert young_created is not None
    assert queue.cancel(young, key_id)
    with db.write() as session:
        idempotency.remember(session, key_id, "retry-1", "f" * 64, sent_hook, clock.now())
        idempotency.remember(session, key_id, "retry-2", "e" * 64, live, clock.now())
    jobs = JobStore(db)
    before = young_created - timedelta(microseconds=1)  # every job but the youngest is old enough
    assert sorted(ids(jobs.sweepable(before, 10))) == sorted([ended, sent_hook])
    assert ids(jobs.sweepable(before, 1)) == [ended]  # the oldest
    assert sorted(ids(jobs.sweepable(young_created, 10))) == sorted([ended, sent_hook, young])  # inclusive

    # Asked for every job, purge deletes only those still sweepable, with their deliveries and keys.
    assert jobs.purge([ended, with_image, waiting_hook, sent_hook, live, young], before) == 2
    with db.read() as session:
        left = set(session.scalars(select(JobRow.id)))
        hooks = set(session.scalars(select(DeliveryRow.job_id)))
        assert idempotency.find(session, key_id, "retry-1") is None
        assert idempotency.find(session, key_id, "retry-2") is not None
    assert left == {with_image, waiting_hook, live, young}
    assert hooks == {waiting_hook}
    assert jobs.counts()["canceled"] == 2 and jobs.counts()["queued"] == 1
    assert jobs.purge([ended], before) == 0


def test_counts_name_every_status_and_count_the_live_ones_from_the_table(
    db: Database, queue: JobQueue, key_id: str, clock: ManualClock
) -> None:
    enqueue(queue, key_id, 4)
    queue.claim("w", 1)
    assert JobStore(db).counts() == {"queued": 3, "processing": 1, "succeeded": 0, "failed": 0, "canceled": 0}
    assert list(JobStore(db).counts()) == [status.value for status in JobStatus]


def test_a_page_goes_on_from_its_cursor(
    db: Database, queue: JobQueue, key_id: str, clock: ManualClock
) -> None:
    oldest, middle, newest = enqueue(queue, key_id, 3)
    jobs = JobStore(db)
    first = jobs.page(key_id, clock.now(), status=None, limit=2, after=None)
    assert [job.id for job, _ in first.items] == [newest, middle] and first.next_cursor is not None
    second = jobs.page(key_id, clock.now(), status=None, limit=2, after=first.next_cursor)
    assert [job.id for job, _ in second.items] == [oldest] and not second.has_more


def test_active_jobs_are_fifty_unless_asked_and_same_instant_ones_go_by_id(db: Database, key_id: str) -> None:
    still = JobQueue(db, _StillClock(), lease_seconds=30, max_attempts=3)
    params = GenerationRequest(prompt="p").resolve(MODELS["tiny"], seed=0)
    ids = [f"job_{i:02d}" for i in reversed(range(51))]  # written in the reverse of their ids' order
    for job_id in ids:
        with db.write() as session:
            still.add(session, job_id=job_id, key_id=key_id, params=params)
    active = JobStore(db).active(key_id)
    assert [job.id for job in active] == sorted(ids)[:50]


def test_active_jobs_of_two_statuses_at_one_instant_past_a_page_are_the_running_then_the_first_ids(
    db: Database, key_id: str
) -> None:
    still = JobQueue(db, _StillClock(), lease_seconds=30, max_attempts=3)
    params = GenerationRequest(prompt="p").resolve(MODELS["tiny"], seed=0)

    def add(numbers: range) -> None:
        for number in reversed(numbers):  # written in the reverse of their ids' order
            with db.write() as session:
                still.add(session, job_id=f"job_{number:02d}", key_id=key_id, params=params)

    add(range(50, 60))
    assert len(still.claim("gpu", 10)) == 10  # job_50 to job_59 run, all made at the same instant
    add(range(0, 50))  # job_00 to job_49 wait, made at that instant too
    running, waiting = [f"job_{n}" for n in range(50, 60)], [f"job_{n:02d}" for n in range(50)]
    assert [job.id for job in JobStore(db).active(key_id)] == running + waiting[:40]
    assert [job.id for job in JobStore(db).active(key_id, limit=5)] == running[:5]


def test_a_running_job_newer_than_a_page_of_waiting_ones_is_on_the_page_first(
    db: Database, queue: JobQueue, key_id: str
) -> None:
    waiting = enqueue(queue, key_id, 55)  # 1024x1024, the tiny model's own size
    small = GenerationRequest(prompt="small", width=256, height=256).resolve(MODELS["tiny"], seed=0)
    with db.write() as session:
        newer = queue.add(session, job_id=new_id("job"), key_id=key_id, params=small)
    (running,) = queue.claim_batch("gpu", 1, batch_key=newer.batch_key)  # a batch of its size took it
    assert running.id == newer.id
    assert [job.id for job in JobStore(db).active(key_id)] == [newer.id, *waiting[:49]]


def test_images_per_day_ends_before_its_end_and_counts_utc_days_in_any_time_zone(
    db: Database, queue: JobQueue, key_id: str, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, last = enqueue_params(queue, key_id, n=2), enqueue_params(queue, key_id, n=3)
    for job_id in (first, last):
        succeed(queue, job_id, clock)
    with db.read() as session:
        created = {row.id: row.created_at for row in session.execute(select(JobRow.id, JobRow.created_at))}
    start = created[first] - DAY
    assert JobStore(db).images_per_day(key_id, start, created[last]) == {date(2026, 1, 15): 2}
    monkeypatch.setenv("TZ", "Pacific/Kiritimati")  # UTC+14: noon UTC on the 15th is the 16th there
    time.tzset()
    try:
        assert JobStore(db).images_per_day(key_id, start, created[last] + DAY) == {date(2026, 1, 15): 5}
    finally:
        monkeypatch.undo()
        time.tzset()


def test_a_workers_counts_and_last_moment_take_every_job_it_holds_or_ended(
    db: Database, queue: JobQueue, key_id: str, clock: ManualClock
) -> None:
    since = clock.now()
    first, second, third, fourth = enqueue(queue, key_id, 4)
    queue.claim("gpu-a", 2)
    assert queue.complete("gpu-a", second, [])  # the later job ends first
    assert queue.complete("gpu-a", first, [])
    queue.claim("gpu-b", 1)
    (fifth,) = enqueue(queue, key_id)
    (held,) = queue.claim("gpu-b", 1)
    assert held.id == fourth
    assert queue.cancel(fifth, key_id) is True  # canceled while queued: by no worker, so never listed
    with db.read() as session:
        ends = {row.id: row.completed_at for row in session.execute(select(JobRow.id, JobRow.completed_at))}
    seen = JobStore(db).workers(since)
    assert seen == [
        WorkerSeen("gpu-a", running=0, ended=2, last_seen=ends[first]),
        WorkerSeen("gpu-b", running=2, ended=0, last_seen=held.started_at),
    ]
    assert ends[third] is None  # gpu-b still runs it


def test_purge_deletes_only_the_jobs_it_is_given(
    db: Database, queue: JobQueue, key_id: str, clock: ManualClock
) -> None:
    given, other = enqueue(queue, key_id, 2)
    for job_id in (given, other):
        assert queue.cancel(job_id, key_id)
    before = clock.now()
    jobs = JobStore(db)
    assert sorted(ids(jobs.sweepable(before, 10))) == sorted([given, other])
    assert jobs.purge([given], before) == 1
    assert ids(jobs.sweepable(before, 10)) == [other]


def test_the_sweepers_window_is_the_next_old_ended_jobs_in_creation_order_of_every_ended_status(
    db: Database, queue: JobQueue, key_id: str, clock: ManualClock
) -> None:
    # The sweeper's steps each read on from the last one's window (services/retention.py), so that no step
    # walks again over the index entries of the rows deleted before it.
    statuses = ["canceled", "failed", "succeeded", "processing", "canceled", "failed"]
    made_ids = enqueue(queue, key_id, len(statuses))  # created a tick apart, in this order
    with db.write() as session:
        for job_id, status in zip(made_ids, statuses, strict=True):
            session.execute(update(JobRow).where(JobRow.id == job_id).values(status=status))
        created = {row.id: row.created_at for row in session.execute(select(JobRow.id, JobRow.created_at))}
    jobs, before = JobStore(db), clock.now()
    ended = [job_id for job_id, status in zip(made_ids, statuses, strict=True) if status != "processing"]
    place = [(created[job_id], job_id) for job_id in ended]
    assert jobs.sweepable(before, 10) == SweepWindow(ended, None)  # all of it: nothing follows
    assert jobs.sweepable(before, 2) == SweepWindow(ended[:2], place[1])  # the oldest two, of two statuses
    assert jobs.sweepable(before, 2, place[1]) == SweepWindow(ended[2:4], place[3])  # just after it
    assert jobs.sweepable(before, 2, place[3]) == SweepWindow(ended[4:], None)
    assert jobs.sweepable(created[ended[1]], 10, place[0]) == SweepWindow(ended[1:2], None)  # not younger
    assert jobs.sweepable(created[ended[1]], 2, place[0]) == SweepWindow(
        ended[1:2], None
    )  # nor in the window
    # Of one moment, the ids tell them apart: just after the first is the second, never the first again.
    same = (created[ended[2]], "")
    assert jobs.sweepable(before, 1, same) == SweepWindow([ended[2]], place[2])
    assert jobs.sweepable(before, 1, place[2]).sweepable == [ended[3]]


def test_the_sweepers_window_takes_the_oldest_of_a_status_and_of_one_moment_the_first_ids(
    db: Database, queue: JobQueue, key_id: str, clock: ManualClock
) -> None:
    # Ids against the order of creation, and same-instant ones written last id first: neither an order by id
    # alone nor by time alone gives these windows.
    start = clock.now()
    second = timedelta(seconds=1)
    moments = {"job_z": start, "job_y": start + second, "job_x": start + 2 * second}
    moments |= {job_id: start + 3 * second for job_id in ("job_c", "job_b", "job_a")}
    params = GenerationRequest(prompt="p").resolve(MODELS["tiny"], seed=0)
    with db.write() as session:
        for job_id, moment in moments.items():
            queue.add(session, job_id=job_id, key_id=key_id, params=params)
            session.execute(
                update(JobRow).where(JobRow.id == job_id).values(status="canceled", created_at=moment)
            )
    jobs, before = JobStore(db), start + 10 * second
    assert jobs.sweepable(before, 1).sweepable == ["job_z"]
    assert jobs.sweepable(before, 3).sweepable == ["job_z", "job_y", "job_x"]
    assert jobs.sweepable(before, 1, (moments["job_x"], "job_x")).sweepable == ["job_a"]
    assert jobs.sweepable(before, 2, (moments["job_a"], "job_a")).sweepable == ["job_b", "job_c"]


def test_the_sweepers_window_holds_the_old_jobs_that_may_not_go_without_handing_them_out(
    db: Database, queue: JobQueue, key_id: str, clock: ManualClock
) -> None:
    with_image, waiting_hook, free = enqueue(queue, key_id, 3)
    succeed(queue, with_image, clock)
    assert queue.cancel(waiting_hook, key_id) and queue.cancel(free, key_id)
    pending_delivery(db, clock, key_id, waiting_hook, "pending")
    jobs = JobStore(db)
    window = jobs.sweepable(clock.now(), 3)
    assert window.sweepable == [free] and window.last is not None  # a full window: the sweep reads on
    assert jobs.sweepable(clock.now(), 3, window.last) == SweepWindow([], None)


def ids(window: SweepWindow) -> list[str]:
    return window.sweepable


def test_a_new_jobs_empty_columns_are_null_not_json_null(db: Database, queue: JobQueue, key_id: str) -> None:
    # A JSON column given None holds the text `null`; a job that has not run has no warnings at all (SQL
    # NULL), as the ORM wrote it, so `warnings IS NULL` finds it.
    (job_id,) = enqueue(queue, key_id)
    with db.read() as session:
        empty = session.scalar(select(func.count()).where(JobRow.id == job_id, JobRow.warnings.is_(None)))
    assert empty == 1
