"""End to end: N concurrent clients against a running Sfumato, and against the plain server, in one run.

    python -m bench.serve --model tiny --clients 8 --duration 30 --size 512
    python -m bench.serve --model tiny --size 256 --sweep 1,2,4,8,16,32 --plot docs/serve-sweep.png
    python -m bench.serve --models tiny,tiny-flux --size 256 --clients 4     # several models: bench/mixed.py

Each server is started fresh as its own process (Sfumato: `sfumato serve` on a temporary folder;
the baseline: bench/plain_server.py), warmed up, then loaded by `--clients` clients that each send a
request, wait for the image's bytes, and send the next, for `--duration` seconds. A Sfumato request is
what its clients do: `POST /v1/images/imagine` (waits for the image) then `GET /v1/images/{id}/content`;
a baseline request is one `POST /generate` answered with the PNG. Latency is from sending the request
to holding the bytes. Only one server runs at a time, so both have the whole machine. With `--sweep`,
each server is started once and loaded at each client count in turn (warm-up, then the measured
seconds); `--plot` draws images/s and latency against the clients (bench/plot.py).
"""

import argparse
import asyncio
import json
import os
import re
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

from bench.common import Timer, median, percentile, write_result
from bench.servers import Running, free_port, sfumato_env, unlimited_key


async def load(
    request: Callable[[httpx.AsyncClient, int], Awaitable[int]],
    url: str,
    headers: dict[str, str],
    clients: int,
    duration: float,
    warmup: float,
) -> dict[str, Any]:
    """Closed loop: each client sends its next request when the last one's bytes have arrived."""
    latencies: list[float] = []
    errors: list[str] = []
    answered = 0  # successful answers in the window, those that arrived after it too
    counter = 0
    limits = httpx.Limits(max_connections=clients * 2)
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=300, limits=limits) as http:

        async def client(until: float, record: bool) -> None:
            nonlocal counter, answered
            while time.perf_counter() < until:
                counter += 1
                start = time.perf_counter()
                try:
                    await request(http, counter)
                except Exception as error:  # a failed request is counted, not fatal
                    errors.append(f"{type(error).__name__}: {error}"[:200])
                    continue
                end = time.perf_counter()
                if record:
                    answered += 1
                    if end <= until:
                        latencies.append(end - start)

        await asyncio.gather(*(client(time.perf_counter() + warmup, False) for _ in range(clients)))
        started = time.perf_counter()
        await asyncio.gather(*(client(started + duration, True) for _ in range(clients)))
    return {
        "clients": clients,
        "duration_s": duration,
        "images": len(latencies),
        "answered": answered,
        "images_per_s": round(len(latencies) / duration, 3),
        "p50_ms": round(median(latencies) * 1000, 1),
        "p95_ms": round(percentile(latencies, 0.95) * 1000, 1),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
        "errors": len(errors),
        "first_errors": errors[:3],
    }


def calls_logged(log: Path) -> list[int]:
    """The images of each pipeline call the worker logged ("generating N images for ..."), warm-up too."""
    return [int(n) for n in re.findall(r"generating (\d+) images for", log.read_text())]


def sweep(
    request: Callable[[httpx.AsyncClient, int], Awaitable[int]],
    server: Running,
    headers: dict[str, str],
    args: argparse.Namespace,
    log: Path | None = None,
) -> list[dict[str, Any]]:
    """One row per client count, each after its own warm-up; with the worker's log, its batches' sizes."""
    rows = []
    for clients in args.sweep:
        before = len(calls_logged(log)) if log else 0
        row = asyncio.run(load(request, server.url, headers, clients, args.duration, args.warmup))
        if log is not None:
            calls = calls_logged(log)[before:]
            row["pipeline_calls"] = len(calls)
            row["images_per_call"] = round(sum(calls) / len(calls), 2) if calls else 0.0
        rows.append(row)
    return rows


def bench_sfumato(args: argparse.Namespace, folder: Path) -> list[dict[str, Any]]:
    env = sfumato_env(folder, args.model, args.setting)
    sfumato = [sys.executable, "-m", "sfumato"]
    key = unlimited_key(env)
    port = free_port()
    server = Running([*sfumato, "serve", "--port", str(port)], env, folder / "sfumato.log", port)
    try:
        with Timer() as ready:
            server.wait("/readyz")

        async def request(http: httpx.AsyncClient, i: int) -> int:
            body = {
                "name": "bench",
                "prompt": f"benchmark {i}",
                "seed": i,
                "width": args.size,
                "height": args.size,
            }
            if args.steps:
                body["steps"] = args.steps
            answer = await http.post("/v1/images/imagine", json=body, headers={"Prefer": "wait=300"})
            if answer.status_code != 201:
                raise RuntimeError(f"imagine answered {answer.status_code}: {answer.text[:120]}")
            content = await http.get(f"/v1/images/{answer.json()['id']}/content")
            content.raise_for_status()
            return len(content.content)

        rows = sweep(request, server, {"x-api-key": key}, args, server.log)
    finally:
        server.stop()
    return [row | {"ready_s": round(ready.seconds, 2)} for row in rows]


def bench_plain(args: argparse.Namespace, folder: Path) -> list[dict[str, Any]]:
    port = free_port()
    env = dict(os.environ) | {"PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "bench.plain_server", "--model", args.model, "--port", str(port)]
    server = Running(command, env, folder / "plain.log", port)
    try:
        with Timer() as ready:
            server.wait("/healthz")

        async def request(http: httpx.AsyncClient, i: int) -> int:
            body = {
                "prompt": f"benchmark {i}",
                "seed": i,
                "width": args.size,
                "height": args.size,
                "steps": args.steps or 4,
            }
            answer = await http.post("/generate", json=body)
            answer.raise_for_status()
            return len(answer.content)

        rows = sweep(request, server, {}, args)
    finally:
        server.stop()
    return [row | {"ready_s": round(ready.seconds, 2)} for row in rows]


def table(result: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    machine = result["machine"]
    out = Table(
        title=(
            f"end to end: {result['model']} {result['size']}x{result['size']}, {result['duration_s']:.0f} s "
            f"a row | {machine['gpu'] or machine['cpu']} ({machine['cpu_cores']} cores)"
        )
    )
    for column in ("server", "clients", "images", "images/s", "p50 ms", "p95 ms", "errors"):
        out.add_column(column, justify="right")
    for name in ("sfumato", "plain"):
        for row in rows_of(result, name):
            out.add_row(
                name,
                str(row["clients"]),
                str(row["images"]),
                f"{row['images_per_s']:.2f}",
                f"{row['p50_ms']:.0f}",
                f"{row['p95_ms']:.0f}",
                str(row["errors"]),
            )
    Console().print(out)
    speedups = result.get("speedup")
    if speedups is None:  # one server only
        return
    for clients, speedup in zip(
        result["sweep"], speedups if isinstance(speedups, list) else [speedups], strict=True
    ):
        if speedup is not None:
            print(f"sfumato / plain, images/s, {clients} clients: {speedup:.2f}x")


def rows_of(result: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """A server's rows: a list with --sweep, one row without."""
    rows = result.get(name, [])
    return rows if isinstance(rows, list) else [rows]


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(prog="python -m bench.serve", description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="tiny")
    parser.add_argument("--models", type=lambda text: text.split(","), help="A,B: bench/mixed.py's rows")
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument(
        "--sweep",
        type=lambda text: [int(c) for c in text.split(",")],
        default=None,
        help="client counts, each loaded in turn on one start of each server (1,2,4,8,16,32)",
    )
    parser.add_argument("--plot", type=Path, default=None, help="with --sweep: draw it into this PNG")
    parser.add_argument("--duration", type=float, default=30.0, help="measured seconds per server")
    parser.add_argument("--warmup", type=float, default=5.0, help="unmeasured seconds of load first")
    parser.add_argument("--only", choices=["sfumato", "plain"], default=None)
    parser.add_argument(
        "--setting",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a Sfumato setting for this run, e.g. batch_wait_ms=20 (repeatable)",
    )
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    swept = args.sweep is not None
    args.sweep = args.sweep or [args.clients]
    if args.models:  # several models in one process: its own rows (bench/mixed.py)
        from bench.mixed import run_models

        return run_models(args)
    result: dict[str, Any] = {
        "model": args.model,
        "size": args.size,
        "clients": args.sweep if swept else args.clients,
        "sweep": args.sweep,
        "duration_s": args.duration,
        "settings": args.setting,
    }
    with tempfile.TemporaryDirectory(prefix="sfumato-bench-") as folder:
        if args.only in (None, "sfumato"):
            result["sfumato"] = bench_sfumato(args, Path(folder))
        if args.only in (None, "plain"):
            result["plain"] = bench_plain(args, Path(folder))
    if "sfumato" in result and "plain" in result:
        result["speedup"] = [
            round(ours["images_per_s"] / theirs["images_per_s"], 2) if theirs["images_per_s"] else None
            for ours, theirs in zip(result["sfumato"], result["plain"], strict=True)
        ]
    if not swept:  # one client count: one row a server, as before the sweep existed
        for name in ("sfumato", "plain", "speedup"):
            if name in result:
                result[name] = result[name][0]
    path = write_result("serve", result, args.json)
    table({**result, "machine": json.loads(path.read_text())["machine"]})
    print(f"written to {path}")
    if args.plot is not None:
        from bench.plot import plot_sweep

        plot_sweep(json.loads(path.read_text()), args.plot)
        print(f"drawn into {args.plot}")
    for name in ("sfumato", "plain"):
        for row in rows_of(result, name):
            # A run of errors only measured nothing: say so, and fail. (An image slower than a short window
            # is a measurement, 0 images/s, not a failure.)
            if not row["answered"]:
                raise SystemExit(f"{name} made no image at {row['clients']} clients: {row['first_errors']}")
    return path


if __name__ == "__main__":
    main()
