"""The data of bench.scale: a database of N ended jobs with one image each, written in bulk through the
project's own tables (no generation), and an expired backlog for the sweeper."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, text

from sfumato.db import status_counts
from sfumato.db.database import Database
from sfumato.db.tables import DeliveryRow, IdempotencyRow, ImageRow, JobRow, JobWordRow, UsageRow
from sfumato.domain.batching import batch_key
from sfumato.domain.ids import new_id
from sfumato.domain.images import storage_key
from sfumato.domain.pages import encode_cursor
from sfumato.domain.params import JobParams
from sfumato.domain.search import words_of

CHUNK = 20_000
RARE = "rare"  # one image in RARE_EVERY has this name: what `?name=` finds
RARE_EVERY = 1000
FAILED_EVERY = 0  # no failed job: `?status=failed` matches none, as in the measurement of the issue


@dataclass
class Built:
    middle_job: str
    job_cursor: str  # the page after the job half-way down the list, newest first
    image_cursor: str
    backlog: int


def _params(i: int) -> dict[str, Any]:
    params = JobParams(
        prompt="a lighthouse at dusk",
        negative_prompt=None,
        seed=i,
        width=256,
        height=256,
        steps=4,
        guidance_scale=0.0,
        style=None,
        n=1,
        model="tiny",
        format="png",
        quality=90,
        name=RARE if i % RARE_EVERY == 0 else "scale",
    )
    return params.to_dict()


def _rows(
    key_id: str, count: int, newest: datetime, spacing: timedelta, expires_after: timedelta
) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """(job, image) rows, newest first, `spacing` apart."""
    key = batch_key(JobParams.from_dict(_params(0)))
    for i in range(count):
        created = newest - spacing * i
        job_id = new_id("job")
        params = _params(i)
        job = {
            "id": job_id,
            "key_id": key_id,
            "status": "succeeded",
            "params": params,
            "model": "tiny",
            "n": 1,
            "batch_key": key,
            "charged_month": created.strftime("%Y-%m"),
            "created_at": created,
            "started_at": created,
            "completed_at": created + timedelta(seconds=1),
            "progress": 1.0,
            "attempts": 1,
            "max_attempts": 3,
            "lease_owner": "scale-bench",
        }
        image = {
            "id": new_id("img"),
            "key_id": key_id,
            "job_id": job_id,
            "job_index": 0,
            "name": params["name"],
            "width": 256,
            "height": 256,
            "format": "png",
            "size": 1,
            "storage_key": storage_key(job_id, "1-0", "png"),
            "prompt": params["prompt"],
            "negative_prompt": None,
            "seed": i,
            "model": "tiny",
            "style": None,
            "created_at": created + timedelta(seconds=1),
            "expires_at": created + expires_after,
        }
        yield job, image


def _words(job: dict[str, Any]) -> list[dict[str, Any]]:
    """A job's words, as the queue writes them with it (db.job_words)."""
    params = job["params"]
    return [
        {"key_id": job["key_id"], "word": word, "created_at": job["created_at"], "job_id": job["id"]}
        for word in words_of(params["name"], params["prompt"])
    ]


def _insert(
    db: Database, rows: Iterator[tuple[dict[str, Any], dict[str, Any]]], extra: Any = None
) -> list[Any]:
    """Insert the rows in chunks (with `extra(session, jobs)` beside each); returns, for each row,
    (job id, its time, image id, its time, the image's storage key)."""
    kept: list[Any] = []
    jobs: list[dict[str, Any]] = []
    images: list[dict[str, Any]] = []

    def flush() -> None:
        with db.write() as session:
            session.execute(insert(JobRow), jobs)
            session.execute(insert(JobWordRow), [word for job in jobs for word in _words(job)])
            session.execute(insert(ImageRow), images)
            status_counts.ended(session, "succeeded", len(jobs))  # as the queue keeps them (db.status_counts)
            if extra is not None:
                extra(session, jobs)
        jobs.clear()
        images.clear()

    for job, image in rows:
        jobs.append(job)
        images.append(image)
        kept.append((job["id"], job["created_at"], image["id"], image["created_at"], image["storage_key"]))
        if len(jobs) >= CHUNK:
            flush()
    if jobs:
        flush()
    return kept


def build(db: Database, key_id: str, other_key: str, count: int, now: datetime) -> Built:
    """`count` ended jobs of `key_id` over the past (one a second), each with its image; a few of
    `other_key`'s; the month's usage. Then ANALYZE: the queries must stay right whatever the statistics."""
    kept = _insert(
        db, _rows(key_id, count, now - timedelta(minutes=5), timedelta(seconds=1), timedelta(days=3650))
    )
    _insert(db, _rows(other_key, 50, now - timedelta(minutes=5), timedelta(seconds=7), timedelta(days=3650)))
    with db.write_connection() as connection:
        connection.execute(
            insert(UsageRow), [{"key_id": key_id, "month": now.strftime("%Y-%m"), "images": 0}]
        )
    middle = kept[count // 2]
    analyze(db)
    return Built(
        middle_job=middle[0],
        job_cursor=encode_cursor(middle[1], middle[0]),
        image_cursor=encode_cursor(middle[3], middle[2]),
        backlog=0,
    )


def add_backlog(
    db: Database, key_id: str, count: int, now: datetime, retention: timedelta, files: Path | None
) -> int:
    """`count` jobs older than the retention whose images have expired, each with an idempotency key and
    a delivered webhook: everything the sweeper deletes. With `files`, each image's file too."""

    def with_their_records(session: Any, jobs: list[dict[str, Any]]) -> None:
        session.execute(
            insert(IdempotencyRow),
            [
                {
                    "key_id": key_id,
                    "idempotency_key": f"idem-{job['id']}",
                    "fingerprint": "0" * 64,
                    "job_id": job["id"],
                    "created_at": job["created_at"],
                }
                for job in jobs
            ],
        )
        session.execute(
            insert(DeliveryRow),
            [
                {
                    "id": new_id("msg"),
                    "key_id": key_id,
                    "job_id": job["id"],
                    "url": "https://hooks.example/sfumato",
                    "event": "job.succeeded",
                    "body": "{}",
                    "status": "delivered",
                    "attempts": 1,
                    "next_attempt_at": job["created_at"],
                    "created_at": job["created_at"],
                    "delivered_at": job["created_at"],
                }
                for job in jobs
            ],
        )

    oldest_kept = now - retention - timedelta(days=1)
    kept = _insert(db, _rows(key_id, count, oldest_kept, timedelta(seconds=1), retention), with_their_records)
    if files is not None:
        for *_, key in kept:
            path = files / key
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"\x89")
    analyze(db)
    return len(kept)


def analyze(db: Database) -> None:
    """ANALYZE; on PostgreSQL VACUUM ANALYZE. A table that a million inserts filled at once is one autovacuum
    sets out to vacuum, on the cores the routes are measured on: a database grown over months has had it done,
    and so has this one before anything is measured."""
    if db.is_sqlite:
        with db.write_connection() as connection:
            connection.execute(text("ANALYZE"))
        return
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))  # VACUUM runs outside a transaction


def start_wal_over(db: Database) -> None:
    """SQLite: copy the WAL back and truncate it, so that its size after a sweep is the sweep's, not the
    builder's transactions' (a million rows in a few)."""
    if db.is_sqlite:
        with db.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def remaining(db: Database, key_id: str, before: datetime) -> dict[str, int]:
    """What is left of a backlog made before `before`: all zero once swept."""
    counted: dict[str, Any] = {
        "jobs": JobRow,
        "images": ImageRow,
        "idempotency_keys": IdempotencyRow,
        "webhook_deliveries": DeliveryRow,
    }
    with db.write_connection() as connection:
        return {
            name: int(
                connection.execute(
                    select(func.count())
                    .select_from(table)
                    .where(table.key_id == key_id, table.created_at < before)
                ).scalar_one()
            )
            for name, table in counted.items()
        }
