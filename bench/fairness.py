"""The fair queue, measured (docs/benchmarks.md, "A fair queue"): `sfumato serve` with one worker.

    python -m bench.fairness              # tiny, 256x256: a burst of 200 jobs, then 10, one a second
    python -m bench.fairness --flood 40 --late 3 --each 30 --json out.json    # smaller

1. A burst and a trickle: key A (starter) sends `--flood` jobs at once; then key B (starter) sends `--late`
   jobs, one every `--interval` seconds. B's waits (queued to started) against one batch's duration, the
   median time between the starts of the batches of the burst. Target: B's p95 under two batches.
2. Three plans flooding: a starter, a professional and an enterprise key (queue weights 1, 2 and 4) send
   `--each` jobs together. Each key's share of the jobs started while all three still had jobs waiting (up
   to the first key's last start), against its weight's share. Target: each within 10% of its weight's.

Times are read from the database (microseconds), not from the API's Jobs (whole seconds).
"""

import argparse
import asyncio
import itertools
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from bench.common import median, percentile, write_result
from bench.servers import Running, create_key, free_port, sfumato_env
from sfumato.db.database import Database
from sfumato.db.tables import JobRow

WEIGHTS = {"starter": 1, "professional": 2, "enterprise": 4}  # the plans' queue_weight (docs/plans.md)


def plan_key(env: dict[str, str], name: str, plan: str) -> str:
    """A key of `plan` that no rate limit, quota or queue cap holds back: the queue's order alone is
    measured."""
    options = ["--rpm", "100000000", "--monthly-images", "1000000000", "--max-queued", "100000"]
    return create_key(env, name, "--plan", plan, *options)


async def send(
    http: httpx.AsyncClient, key: str, count: int, body: dict[str, Any], connections: int
) -> list[str]:
    """`count` jobs of the key, over `connections` at once; their ids."""
    ids: list[str] = []
    left = iter(range(count))

    async def one_connection() -> None:
        for _ in left:
            answer = await http.post("/v1/jobs", json=body, headers={"x-api-key": key})
            answer.raise_for_status()
            ids.append(answer.json()["id"])

    await asyncio.gather(*(one_connection() for _ in range(connections)))
    return ids


async def trickle(
    http: httpx.AsyncClient, key: str, count: int, body: dict[str, Any], interval: float
) -> list[str]:
    ids = []
    for _ in range(count):
        ids += await send(http, key, 1, body, 1)
        await asyncio.sleep(interval)
    return ids


def times(db: Database, job_ids: list[str], seconds: float) -> dict[str, tuple[datetime, datetime]]:
    """(created, started) of each job once every one has ended, waiting up to `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        with db.read() as session:
            rows = session.execute(
                select(JobRow.id, JobRow.status, JobRow.created_at, JobRow.started_at).where(
                    JobRow.id.in_(job_ids)
                )
            ).all()
        if all(row.status in ("succeeded", "failed", "canceled") for row in rows) and len(rows) == len(
            job_ids
        ):
            return {row.id: (row.created_at, row.started_at) for row in rows}
        if time.monotonic() > deadline:
            raise SystemExit(f"jobs still running after {seconds:.0f} s")
        time.sleep(0.5)


def burst_and_trickle(
    db: Database, url: str, keys: dict[str, str], args: argparse.Namespace
) -> dict[str, Any]:
    body = {"prompt": "a lighthouse at dusk", "width": args.size, "height": args.size}

    async def run() -> tuple[list[str], list[str]]:
        async with httpx.AsyncClient(base_url=url, timeout=600) as http:
            flood = await send(http, keys["A"], args.flood, body, 16)
            late = await trickle(http, keys["B"], args.late, body, args.interval)
        return flood, late

    flood, late = asyncio.run(run())
    when = times(db, flood + late, 3600)
    batches = sorted({when[job_id][1] for job_id in flood})
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(batches)]
    batch = median(gaps)
    waits = [(when[job_id][1] - when[job_id][0]).total_seconds() for job_id in late]
    # What first come, first served would have made B wait: the burst's jobs still waiting when it came.
    ahead = [sum(1 for job_id in flood if when[job_id][1] > when[mine][0]) for mine in late]
    per_job = (batches[-1] - batches[0]).total_seconds() / max(1, len(flood) - 1)
    return {
        "flood": len(flood),
        "late": len(late),
        "batches": len(batches),
        "batch_s": round(batch, 3),
        "wait_p50_s": round(median(waits), 3),
        "wait_p95_s": round(percentile(waits, 0.95), 3),
        "wait_max_s": round(max(waits), 3),
        "p95_in_batches": round(percentile(waits, 0.95) / batch, 2),
        "burst_ahead_at_arrival_p50": median(ahead),
        "fifo_wait_p50_s": round(median(ahead) * per_job, 1),
    }


def three_plans(db: Database, url: str, keys: dict[str, str], args: argparse.Namespace) -> dict[str, Any]:
    body = {"prompt": "a lighthouse at dusk", "width": args.size, "height": args.size}

    async def run() -> dict[str, list[str]]:
        async with httpx.AsyncClient(base_url=url, timeout=600) as http:
            sent = await asyncio.gather(*(send(http, keys[plan], args.each, body, 4) for plan in WEIGHTS))
        return dict(zip(WEIGHTS, sent, strict=True))

    sent = asyncio.run(run())
    when = times(db, [job_id for ids in sent.values() for job_id in ids], 3600)
    starts = {plan: sorted(when[job_id][1] for job_id in ids) for plan, ids in sent.items()}
    end = min(own[-1] for own in starts.values())  # the first key to run dry: the rest still had work
    counted = {plan: sum(1 for moment in own if moment < end) for plan, own in starts.items()}
    total = sum(counted.values())
    rows: list[dict[str, Any]] = []
    for plan, weight in WEIGHTS.items():
        expected = weight / sum(WEIGHTS.values())
        share = counted[plan] / total if total else 0.0
        error = abs(share - expected) / expected
        rows.append(
            {
                "plan": plan,
                "weight": weight,
                "jobs": counted[plan],
                "share": round(share, 4),
                "expected": round(expected, 4),
                "error": round(error, 4),
            }
        )
    return {
        "each": args.each,
        "window_jobs": total,
        "keys": rows,
        "worst_error": max(float(row["error"]) for row in rows),
    }


def table(burst: dict[str, Any], shares: dict[str, Any]) -> str:
    lines = [
        "| a burst of {flood}, then {late} one a second | p50 s | p95 s | max s | p95 in batches |".format(
            **burst
        ),
        "| --- | ---: | ---: | ---: | ---: |",
        f"| key B's wait (one batch: {burst['batch_s']} s) | {burst['wait_p50_s']} | {burst['wait_p95_s']} | "
        f"{burst['wait_max_s']} | {burst['p95_in_batches']} (target under 2) |",
        f"first come, first served: {burst['burst_ahead_at_arrival_p50']} of the burst's jobs were still "
        f"waiting when each of B's came (p50), about {burst['fifo_wait_p50_s']} s of wait",
        "",
        f"| three plans flooding ({shares['each']} jobs each) | weight | jobs started | share "
        "| weight's share | off by |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in shares["keys"]:
        lines.append(
            f"| {row['plan']} | {row['weight']} | {row['jobs']} | {row['share']:.1%} | {row['expected']:.1%} "
            f"| {row['error']:.1%} |"
        )
    lines.append(
        f"worst share off its weight's by {shares['worst_error']:.1%} (target under 10%), over the "
        f"{shares['window_jobs']} jobs started while all three keys had jobs waiting"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", default="tiny")
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--flood", type=int, default=200, help="key A's burst")
    parser.add_argument("--late", type=int, default=10, help="key B's jobs, one every --interval s")
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--each", type=int, default=120, help="jobs of each of the three plans' keys")
    parser.add_argument("--setting", action="append", default=[], help="NAME=VALUE for the server")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="sfumato-fairness-") as scratch:
        folder = Path(scratch)
        env = sfumato_env(folder, args.model, args.setting)
        keys = {name: plan_key(env, name, "starter") for name in ("A", "B")}
        keys |= {plan: plan_key(env, plan, plan) for plan in WEIGHTS}
        port = free_port()
        server = Running(
            [sys.executable, "-m", "sfumato", "serve", "--port", str(port)], env, folder / "log", port
        )
        db = Database(f"sqlite:///{folder / 'sfumato' / 'sfumato.db'}")
        try:
            server.wait("/readyz")
            burst = burst_and_trickle(db, server.url, keys, args)
            shares = three_plans(db, server.url, keys, args)
        finally:
            server.stop()
            db.dispose()
    report = table(burst, shares)
    print(report)
    settings = {"model": args.model, "size": args.size, "workers": 1, "server_settings": args.setting}
    return write_result(
        "fairness", {"settings": settings, "burst": burst, "shares": shares, "table": report}, args.json
    )


if __name__ == "__main__":
    main()
