"""A long queue for bench.scale's claim row (and tests/db/test_queue_scale.py): N queued jobs over K keys,
written in bulk with the turns the queue gives jobs that arrive one key after another, as many keys
sending at once would (domain.fairness)."""

import time
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert

from bench.common import median, percentile
from bench.scale_data import analyze
from sfumato.db.claims import Wanted
from sfumato.db.database import Database
from sfumato.db.queue import JobQueue
from sfumato.db.tables import JobRow, KeyRow
from sfumato.domain.batching import batch_key
from sfumato.domain.clock import SystemClock
from sfumato.domain.fairness import rank
from sfumato.domain.generation import JobParams
from sfumato.domain.ids import new_id

CHUNK = 20_000
SIZES = (256, 320, 384, 448)  # jobs of four shapes: a batch's fill reads only its own shape's jobs


def _params(i: int) -> JobParams:
    side = SIZES[i % len(SIZES)]
    return JobParams(
        prompt="a lighthouse at dusk",
        negative_prompt=None,
        seed=i,
        width=side,
        height=side,
        steps=4,
        guidance_scale=0.0,
        style=None,
        n=1,
        model="tiny",
        format="png",
        quality=90,
        name="queued",
    )


def add_keys(db: Database, count: int, now: datetime) -> list[str]:
    """`count` keys on the starter plan, to own queued jobs."""
    ids = [new_id("key") for _ in range(count)]
    rows = [
        {
            "id": key_id,
            "name": f"queue-{i}",
            "key_hash": new_id("hash"),
            "prefix": "sfm_",
            "plan": "starter",
            "is_admin": False,
            "created_at": now,
            "webhook_secret": "whsec_bench",
        }
        for i, key_id in enumerate(ids)
    ]
    with db.write() as session:
        session.execute(insert(KeyRow), rows)
    return ids


def add_queued(db: Database, keys: list[str], count: int, now: datetime) -> None:
    """`count` queued jobs over `keys`, key after key, a millisecond apart, the last made at `now`: the
    j-th job of each key at turn j + 1 (weight 1)."""
    shapes = [_params(i) for i in range(len(SIZES))]
    jobs: list[dict[str, Any]] = []
    for i in range(count):
        params = replace(shapes[i % len(SIZES)], seed=i)
        jobs.append(
            {
                "id": new_id("job"),
                "key_id": keys[i % len(keys)],
                "status": "queued",
                "params": params.to_dict(),
                "model": params.model,
                "n": 1,
                "batch_key": batch_key(params),
                "turn": float(i // len(keys) + 1),
                "priority": rank(params.priority),
                "created_at": now - timedelta(milliseconds=count - i),
                "progress": 0.0,
                "attempts": 0,
                "max_attempts": 3,
            }
        )
        if len(jobs) >= CHUNK:
            _flush(db, jobs)
    if jobs:
        _flush(db, jobs)


def _flush(db: Database, jobs: list[dict[str, Any]]) -> None:
    with db.write() as session:
        session.execute(insert(JobRow), jobs)
    jobs.clear()


def measure_claims(db: Database, count: int, requests: int, now: datetime) -> dict[str, Any]:
    """Claims of a batch of 8 from `count` queued jobs over `count // 100` keys (at least one), `requests`
    in a row, as a worker of `tiny` makes them: p50 / p95 ms. Each takes its 8 jobs; the queue stays long."""

    keys = add_keys(db, max(1, count // 100), now)
    add_queued(db, keys, count, now)
    analyze(db)
    queue = JobQueue(db, SystemClock(), lease_seconds=30, max_attempts=3)
    wanted = Wanted(("tiny",))
    queue.claim_batch("bench", 8, wanted=wanted)  # the first warms the caches, as a running worker's are
    seconds = []
    for _ in range(requests):
        start = time.perf_counter()
        taken = queue.claim_batch("bench", 8, wanted=wanted)
        seconds.append(time.perf_counter() - start)
        if len(taken) != 8:
            raise SystemExit(f"a claim took {len(taken)} jobs, not 8")
    return {
        "queued": count,
        "keys": len(keys),
        "p50_ms": round(median(seconds) * 1000, 2),
        "p95_ms": round(percentile(seconds, 0.95) * 1000, 2),
    }
