"""Cost as the data grows: each key-scoped route, and a sweep of an expired backlog, at N jobs.

    python -m bench.scale --sizes 10000,100000,1000000                # SQLite
    python -m bench.scale --sizes 10000,100000,1000000 --postgres     # a throwaway PostgreSQL cluster
    python -m bench.scale --sizes 10000 --database-url postgresql://u@host/scratch   # wiped first

For each N, a fresh database gets N ended jobs of one key with an image each, a few of a second key's,
and ANALYZE (bench.scale_data); `sfumato serve --no-worker --model tiny` is started on it, and each route
is asked `--requests` times in a row (p50 / p95 ms). Then a backlog of N/10 expired jobs (images, files,
idempotency keys, webhook rows) is swept by the service's own sweeper in this process, while submissions
go to the server every 20 ms: the sweep's rate and the longest a submission waited. Last, N jobs are queued
over N/100 keys and a worker's claim of a batch of 8 is timed (`claim`, bench.queue_data). The table gives
each route's growth from the smallest N; its last line is `worst growth <smallest>→<largest>: X.Yx`.
"""

import argparse
import gc
import json
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event

from bench import queue_data, scale_data
from bench.common import median, percentile, write_result
from bench.servers import Running, free_port
from sfumato.db.database import Database
from sfumato.db.images import ImageStore
from sfumato.db.jobs import JobStore
from sfumato.db.migrate import upgrade
from sfumato.domain.clock import SystemClock
from sfumato.roots.parts import key_service
from sfumato.services.retention import BATCH, RetentionSweeper
from sfumato.services.startup_heap import freeze_startup_heap
from sfumato.storage import open_storage

RETENTION_DAYS = 30


def routes(built: scale_data.Built) -> dict[str, Callable[[httpx.Client], httpx.Response]]:
    return {
        "GET /v1/jobs": lambda c: c.get("/v1/jobs"),
        "GET /v1/jobs?after=<half-way>": lambda c: c.get("/v1/jobs", params={"after": built.job_cursor}),
        "GET /v1/jobs?status=failed": lambda c: c.get("/v1/jobs", params={"status": "failed"}),
        "GET /v1/jobs/{id}": lambda c: c.get(f"/v1/jobs/{built.middle_job}"),
        "GET /v1/images": lambda c: c.get("/v1/images"),
        "GET /v1/images?after=<half-way>": lambda c: c.get(
            "/v1/images", params={"after": built.image_cursor}
        ),
        "GET /v1/images?name=": lambda c: c.get("/v1/images", params={"name": scale_data.RARE}),
        "GET /v1/usage": lambda c: c.get("/v1/usage"),
        "GET /metrics": lambda c: c.get("/metrics"),
        "GET /readyz": lambda c: c.get("/readyz"),
        "POST /v1/jobs": lambda c: c.post("/v1/jobs", json={"prompt": "a kite", "width": 256, "height": 256}),
    }


def measure(
    http: httpx.Client, ask: Callable[[httpx.Client], httpx.Response], requests: int
) -> dict[str, float]:
    ask(http)  # the first of each route warms its caches, as any server's would be
    seconds = []
    for _ in range(requests):
        start = time.perf_counter()
        answer = ask(http)
        seconds.append(time.perf_counter() - start)
        if answer.status_code >= 300:
            raise SystemExit(f"{answer.request.url} answered {answer.status_code}: {answer.text[:300]}")
    return {"p50_ms": round(median(seconds) * 1000, 2), "p95_ms": round(percentile(seconds, 0.95) * 1000, 2)}


def sweep(
    db: Database,
    folder: Path,
    storage_url: str,
    key: str,
    http: httpx.Client,
    count: int,
    batch: int | None,
    quiet_ms: float,
) -> dict[str, Any]:
    """Sweep a backlog of `count` with the service's own sweeper while submitting every 20 ms; `quiet_ms`
    is a submission's p50 with no sweep, from which each submission's delay is counted."""
    now = datetime.now(UTC)
    retention = timedelta(days=RETENTION_DAYS)
    made = scale_data.add_backlog(db, key, count, now, retention, folder / "images")
    scale_data.start_wal_over(db)
    images, jobs = ImageStore(db), JobStore(db)
    steps: list[
        tuple[str, float, float, int]
    ] = []  # (phase, start, seconds, rows): one write transaction each

    # Where a slow step's time went: waiting for the write lock (its BEGIN IMMEDIATE), its statements, and
    # the rest (the commit, Python). Only the sweeper uses `db` in this process meanwhile.
    parts = {"begin": 0.0, "statements": 0.0}
    slow: list[dict[str, Any]] = []

    def before(conn: Any, _cursor: Any, _statement: str, *_: Any) -> None:
        conn.info["statement_began"] = time.perf_counter()

    def after(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        took = time.perf_counter() - conn.info.pop("statement_began")
        parts["begin" if statement.startswith("BEGIN") else "statements"] += took

    def timed(phase: str, method: Callable[..., int]) -> Callable[..., int]:
        def run(*args: Any) -> int:
            parts.update(begin=0.0, statements=0.0)
            begun = time.perf_counter()
            rows = method(*args)
            took = time.perf_counter() - begun
            steps.append((phase, begun, took, rows))
            if took > 0.05:
                rest = took - parts["begin"] - parts["statements"]
                shares = {f"{name}_ms": round(part * 1000, 1) for name, part in parts.items()}
                slow.append({"phase": phase, "ms": round(took * 1000, 1), "rows": rows} | shares)
                slow[-1]["rest_ms"] = round(rest * 1000, 1)
            return rows

        return run

    event.listen(db.engine, "before_cursor_execute", before)
    event.listen(db.engine, "after_cursor_execute", after)

    images.delete_expired = timed("images", images.delete_expired)  # type: ignore[method-assign]
    jobs.purge = timed("jobs", jobs.purge)  # type: ignore[method-assign]
    sweeper = RetentionSweeper(
        images,
        jobs,
        open_storage(storage_url),
        SystemClock(),
        retention_days=RETENTION_DAYS,
        batch=batch or BATCH,
    )
    waits: list[float] = []
    done = threading.Event()

    def submit() -> None:
        while not done.is_set():
            start = time.perf_counter()
            answer = http.post("/v1/jobs", json={"prompt": "a kite", "width": 256, "height": 256})
            waits.append(time.perf_counter() - start)
            answer.raise_for_status()
            time.sleep(0.02)

    pauses: list[float] = []  # this process's garbage collections, which stop a step holding the lock too
    collecting: list[float] = []

    def collected(phase: str, _info: dict[str, int]) -> None:
        if phase == "start":
            collecting[:] = [time.perf_counter()]
        elif collecting:
            pauses.append(time.perf_counter() - collecting[0])

    # This process's sweeper stands for the server's, whose start-up objects are frozen
    # (services/startup_heap.py).
    freeze_startup_heap()
    submitter = threading.Thread(target=submit)
    submitter.start()
    start = time.perf_counter()
    gc.callbacks.append(collected)
    try:
        swept = sweeper.sweep()
    finally:
        gc.callbacks.remove(collected)
        gc.unfreeze()
        event.remove(db.engine, "before_cursor_execute", before)
        event.remove(db.engine, "after_cursor_execute", after)
        done.set()
        submitter.join()
    seconds = time.perf_counter() - start
    # The WAL file keeps its largest size: how far it grew between checkpoints that started it over.
    wal = Path(f"{db.url.database}-wal") if db.is_sqlite else None
    wal_mib = round(wal.stat().st_size / 2**20, 1) if wal and wal.exists() else None
    left = scale_data.remaining(db, key, now - retention)
    files_left = sum(1 for path in (folder / "images").rglob("*") if path.is_file())
    return {
        "backlog": made,
        "batch": sweeper.batch,
        "seconds": round(seconds, 2),
        "images_deleted": swept.images,
        "jobs_deleted": swept.jobs,
        "jobs_per_s": round(swept.jobs / seconds, 1),
        "left": left | {"files": files_left},
        "submissions": len(waits),
        "submission_p50_ms": round(median(waits) * 1000, 1),
        "submission_p99_ms": round(percentile(waits, 0.99) * 1000, 1),
        "submission_max_ms": round(max(waits) * 1000, 1) if waits else None,
        "submission_delay_ms": round(max(waits) * 1000 - quiet_ms, 1) if waits else None,
        "submissions_delayed_over_50_ms": sum(1 for wait in waits if wait * 1000 - quiet_ms > 50),
        # The write transactions (lock wait included): the longest, and each phase's rate in its first and
        # last fifth of steps; a sweep that slows as it goes has a last fifth slower than its first.
        "longest_step_ms": round(max(step[2] for step in steps) * 1000, 1) if steps else None,
        "step_p99_ms": round(percentile([step[2] for step in steps], 0.99) * 1000, 1) if steps else None,
        "steps": len(steps),
        "steps_over_50_ms": sum(1 for step in steps if step[2] > 0.05),
        "wal_mib": wal_mib,
        "gc_pause_max_ms": round(max(pauses) * 1000, 1) if pauses else 0.0,
        "slowest_steps": sorted(slow, key=lambda step: -step["ms"])[:10],
        "slow_steps_in_all": {
            name: round(sum(step[name] for step in slow), 1)
            for name in ("begin_ms", "statements_ms", "rest_ms")
        },
        "rows_per_step_p50": median([step[3] for step in steps]) if steps else None,
        "rates": {
            phase: fifths([step for step in steps if step[0] == phase]) for phase in ("images", "jobs")
        },
    }


def fifths(steps: list[tuple[str, float, float, int]]) -> dict[str, float]:
    """Rows a second over the first and the last fifth of a phase's steps (from the first's start to the
    last's end)."""
    if len(steps) < 10:
        return {}
    fifth = len(steps) // 5

    def rate(part: list[tuple[str, float, float, int]]) -> float:
        span = part[-1][1] + part[-1][2] - part[0][1]
        return round(sum(step[3] for step in part) / span, 1)

    return {"first_fifth": rate(steps[:fifth]), "last_fifth": rate(steps[-fifth:])}


def one_size(count: int, url: str, folder: Path, requests: int, batch: int | None) -> dict[str, Any]:
    db = Database(url)
    upgrade(db)
    clock = SystemClock()
    keys = key_service_for(db, clock)
    main_key, raw = keys.create(
        "scale", plan="enterprise", rpm=100_000_000, monthly_images=1_000_000_000, max_queued=1_000_000_000
    )
    other_key, _ = keys.create("other", plan="enterprise")
    started = time.perf_counter()
    built = scale_data.build(db, main_key.id, other_key.id, count, clock.now())
    build_s = time.perf_counter() - started
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SFUMATO_")}
    env |= {
        "SFUMATO_DATA_DIR": str(folder),
        "SFUMATO_DATABASE_URL": url,
        "SFUMATO_MODEL": "tiny",
        "SFUMATO_PORT": str(port),
        "SFUMATO_RETENTION_DAYS": str(RETENTION_DAYS),
        "SFUMATO_SWEEP_SECONDS": "100000000",  # the server's own sweep runs at start, before the backlog
        "SFUMATO_MAX_QUEUED_JOBS": "1000000",  # no worker takes the submissions made during a long sweep
        "PYTHONUNBUFFERED": "1",
    }
    server = Running(
        [sys.executable, "-m", "sfumato", "serve", "--no-worker"], env, folder / "server.log", port
    )
    try:
        server.wait("/readyz")
        with httpx.Client(
            base_url=server.url, headers={"Authorization": f"Bearer {raw}"}, timeout=60
        ) as http:
            measured = {name: measure(http, ask, requests) for name, ask in routes(built).items()}
            # What the sweep added to a submission: beyond a submission's p50 with no sweep.
            quiet = measured["POST /v1/jobs"]["p50_ms"]
            # This process's sweeper stands for the server's: its commits take the checkpoints past the bound.
            storage = (folder / "images").as_uri()
            swept = sweep(db, folder, storage, main_key.id, http, max(count // 10, 1), batch, quiet)
        server.stop()
        # A worker's claim from a queue as long as the history, over count / 100 keys (the fair queue).
        measured["claim (N queued, N/100 keys)"] = queue_data.measure_claims(db, count, requests, clock.now())
    finally:
        server.stop()
        db.dispose()
    return {"jobs": count, "build_s": round(build_s, 1), "routes": measured, "sweep": swept}


def key_service_for(db: Database, clock: SystemClock) -> Any:
    from sfumato.config import Settings

    return key_service(Settings(), db, clock)


def table(runs: list[dict[str, Any]]) -> str:
    first, last = runs[0], runs[-1]
    lines = ["| route | " + " | ".join(f"{run['jobs']:,} p50 / p95 ms" for run in runs) + " | growth |"]
    lines.append("| --- |" + " --- |" * (len(runs) + 1))
    worst = 0.0
    for name in first["routes"]:
        cells = [f"{run['routes'][name]['p50_ms']} / {run['routes'][name]['p95_ms']}" for run in runs]
        growth = last["routes"][name]["p50_ms"] / first["routes"][name]["p50_ms"]
        worst = max(worst, growth)
        lines.append(f"| `{name}` | " + " | ".join(cells) + f" | {growth:.1f}x |")
    for run in runs:
        s = run["sweep"]
        lines.append(
            f"sweep at {run['jobs']:,}: {s['backlog']:,} expired jobs in {s['seconds']} s "
            f"({s['jobs_per_s']} jobs/s), "
            f"left {s['left']}; {s['submissions']} submissions meanwhile, p50 {s['submission_p50_ms']} ms, "
            f"p99 {s['submission_p99_ms']} ms, longest {s['submission_max_ms']} ms (the sweep's delay: "
            f"{s['submission_delay_ms']} ms; {s['submissions_delayed_over_50_ms']} delayed over 50 ms); "
            f"writes: longest {s['longest_step_ms']} ms, p99 {s['step_p99_ms']} ms, "
            f"{s['steps_over_50_ms']} of {s['steps']} over 50 ms, {s['rows_per_step_p50']} rows a step; "
            "this process's longest "
            f"garbage collection {s['gc_pause_max_ms']} ms; WAL {s.get('wal_mib')} MiB; "
            f"rows/s in the first and last fifth: {s.get('rates')}"
        )
    lines.append(f"worst growth {first['jobs']}→{last['jobs']}: {worst:.1f}x")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated job counts")
    parser.add_argument("--requests", type=int, default=30, help="requests per route, in a row")
    parser.add_argument("--postgres", action="store_true", help="start a throwaway PostgreSQL cluster")
    parser.add_argument("--database-url", default=None, help="a PostgreSQL database to wipe and use")
    parser.add_argument(
        "--sweep-batch", type=int, default=None, help="the sweeper's step (its default if not)"
    )
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",")]
    runs = []
    with ExitStack() as stack:
        server = None
        if args.postgres:
            from tests.servers import PostgresServer

            server = PostgresServer()
            stack.callback(server.close)
        for count in sizes:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="sfumato-scale-")))
            if server is not None:
                url = server.create_database(f"scale_{count}")
            elif args.database_url:
                url = args.database_url
                wipe(url)
            else:
                url = f"sqlite:///{folder / 'sfumato.db'}"
            runs.append(one_size(count, url, folder, args.requests, args.sweep_batch))
            print(json.dumps({"jobs": count, "sweep": runs[-1]["sweep"]}), file=sys.stderr)
    database = "postgresql" if (args.postgres or args.database_url) else "sqlite"
    report = table(runs)
    print(report)
    return write_result(f"scale-{database}", {"database": database, "runs": runs, "table": report}, args.json)


def wipe(url: str) -> None:
    db = Database(url)
    with db.write_connection() as connection:
        from sqlalchemy import text

        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    db.dispose()


if __name__ == "__main__":
    main()
