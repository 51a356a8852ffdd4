"""db.status_counts: the ended jobs' counts that /metrics reads stay what a count of the table says, through
every way a job ends or goes, on both databases."""

from pathlib import Path

from sqlalchemy import func, select, text

from sfumato.db.database import Database
from sfumato.db.jobs import JobStore
from sfumato.db.migrate import upgrade
from sfumato.db.queue import JobQueue
from sfumato.db.tables import JobRow
from sfumato.domain.jobs import JobStatus
from tests.conftest import QUEUE_LEASE, ManualClock
from tests.db.test_queue import enqueue, image_row


def counted(db: Database) -> dict[str, int]:
    """The truth: every status counted from the table."""
    with db.read() as session:
        found = dict(session.execute(select(JobRow.status, func.count()).group_by(JobRow.status)).all())
    return {status.value: int(found.get(status.value, 0)) for status in JobStatus}


def status_of(db: Database, job_id: str) -> str:
    with db.read() as session:
        return str(session.scalar(select(JobRow.status).where(JobRow.id == job_id)))


def test_the_counts_follow_every_end_and_every_deletion(
    db: Database, queue: JobQueue, key_id: str, clock: ManualClock
) -> None:
    jobs = JobStore(db)
    ids = enqueue(queue, key_id, 7)
    assert jobs.counts() == counted(db) and counted(db)["queued"] == 7

    done, failed, canceled_running, lost = queue.claim("w1", 4)
    assert queue.complete("w1", done.id, [image_row(done, 0, clock)])
    assert queue.fail("w1", failed.id, "generation_failed", "no")
    assert queue.cancel(canceled_running.id, key_id)
    assert queue.cancel(ids[4], key_id)  # still queued
    assert jobs.counts() == counted(db)
    assert jobs.counts()["canceled"] == 2

    for _ in range(4):  # the jobs left queued or running lose their leases on every attempt, then fail
        queue.claim("w2", 3)
        clock.advance(seconds=QUEUE_LEASE + 1)
        queue.requeue_expired()
    assert status_of(db, lost.id) == status_of(db, ids[5]) == status_of(db, ids[6]) == "failed"
    assert jobs.counts() == counted(db) and counted(db)["failed"] == 4

    (live,) = enqueue(queue, key_id)
    assert queue.delete(failed.id, key_id) and queue.delete(live, key_id)  # an ended job and a live one
    assert jobs.counts() == counted(db)
    assert queue.delete(failed.id, key_id) is False and jobs.counts() == counted(db)  # not twice


def test_the_sweeper_takes_the_jobs_it_deletes_off_the_counts(
    db: Database, queue: JobQueue, key_id: str, clock: ManualClock
) -> None:
    jobs = JobStore(db)
    ids = enqueue(queue, key_id, 3)
    for job in queue.claim("w1", 2):
        queue.fail("w1", job.id, "generation_failed", "no")
    queue.cancel(ids[2], key_id)
    clock.advance(days=40)
    assert jobs.purge(jobs.sweepable(clock.now(), 10).sweepable, clock.now()) == 3
    assert jobs.purge(ids, clock.now()) == 0  # a second sweeper finds nothing left to count
    assert jobs.counts() == counted(db) == {status.value: 0 for status in JobStatus}


def test_the_migration_counts_the_history_already_there(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path}/old.db")
    try:
        upgrade(db, "0011")
        with db.write_connection() as connection:
            connection.execute(
                text(
                    "INSERT INTO api_keys (id, name, key_hash, prefix, plan, is_admin, created_at, "
                    "webhook_secret) VALUES ('key_1', 'k', 'h', 'p', 'starter', 0, '2026-01-01 00:00', 's')"
                )
            )
            for i, status in enumerate(["succeeded", "succeeded", "failed", "queued"]):
                connection.execute(
                    text(
                        "INSERT INTO jobs (id, key_id, status, params, model, n, batch_key, created_at, "
                        "progress, attempts, max_attempts) VALUES (:id, 'key_1', :s, '{}', 'tiny', 1, '', "
                        "'2026-01-01 00:00:00', 0, 0, 3)"
                    ),
                    {"id": f"job_{i}", "s": status},
                )
        upgrade(db)
        assert (
            JobStore(db).counts()
            == counted(db)
            == {
                "queued": 1,
                "processing": 0,
                "succeeded": 2,
                "failed": 1,
                "canceled": 0,
            }
        )
    finally:
        db.dispose()
