"""The API's own cost: polls of one job a second, and their latency, at 8 and 50 connections.

    python -m bench.polls --connections 8,50 --duration 20

Starts `sfumato serve` (tiny model) on a temporary folder, makes one job and waits for its image, then
keeps `--connections` closed-loop clients polling `GET /v1/jobs/{id}` (each sends its next request when
the last answer is in) for `--duration` seconds after a warm-up, and the same against `/healthz`, which
touches neither the key nor the database: the ceiling of the server and of this client on this machine.
The client runs on the same machine as the server: on a few cores it takes its share of them.
"""

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.common import Timer, write_result
from bench.serve import load
from bench.servers import ROOT, Running, free_port, sfumato_env


def one_job(url: str, headers: dict[str, str]) -> str:
    """A job that succeeded, with its image: what a client polls until it sees it end."""
    answer = httpx.post(
        url + "/v1/jobs", json={"prompt": "a kite", "width": 256, "height": 256}, headers=headers, timeout=30
    )
    answer.raise_for_status()
    job_id = str(answer.json()["id"])
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        status = httpx.get(f"{url}/v1/jobs/{job_id}", headers=headers, timeout=30).json()["status"]
        if status == "succeeded":
            return job_id
        if status in ("failed", "canceled"):
            raise SystemExit(f"the job {status}")
        time.sleep(0.2)
    raise SystemExit("the job did not end in 300 s")


def run(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    env = sfumato_env(folder, "tiny", args.setting)
    create = ["keys", "create", "--name", "bench", "--plan", "enterprise", "--rpm", "100000000", "--json"]
    created = subprocess.run(
        [sys.executable, "-m", "sfumato", *create],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    headers = {"x-api-key": json.loads(created.stdout)["key"]}
    port = free_port()
    server = Running(
        [sys.executable, "-m", "sfumato", "serve", "--port", str(port)], env, folder / "log", port
    )
    try:
        with Timer() as ready:
            server.wait("/readyz")
        job_id = one_job(server.url, headers)

        async def poll(http: httpx.AsyncClient, _: int) -> int:
            answer = await http.get(f"/v1/jobs/{job_id}")
            if answer.status_code != 200:
                raise RuntimeError(f"the poll answered {answer.status_code}: {answer.text[:120]}")
            return len(answer.content)

        async def health(http: httpx.AsyncClient, _: int) -> int:
            answer = await http.get("/healthz")
            answer.raise_for_status()
            return len(answer.content)

        rows = []
        for route, request in (("GET /v1/jobs/{id}", poll), ("GET /healthz", health)):
            for connections in args.connections:
                row = asyncio.run(load(request, server.url, headers, connections, args.duration, args.warmup))
                rows.append({"route": route, "connections": connections} | requests_of(row))
    finally:
        server.stop()
    return {"ready_s": round(ready.seconds, 2), "rows": rows}


def requests_of(row: dict[str, Any]) -> dict[str, Any]:
    """bench.serve.load counts images; here each one is a request."""
    return {
        "requests": row["images"],
        "per_s": round(row["images_per_s"], 1),
        "p50_ms": row["p50_ms"],
        "p99_ms": row["p99_ms"],
        "errors": row["errors"],
        "first_errors": row["first_errors"],
    }


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(prog="python -m bench.polls", description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=lambda text: [int(c) for c in text.split(",")], default=[8, 50])
    parser.add_argument("--duration", type=float, default=20.0, help="measured seconds per row")
    parser.add_argument("--warmup", type=float, default=3.0, help="unmeasured seconds of load first")
    parser.add_argument("--setting", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="sfumato-polls-") as folder:
        result = {"duration_s": args.duration, "settings": args.setting} | run(args, Path(folder))
    path = write_result("polls", result, args.json)
    for row in result["rows"]:
        print(
            f"{row['route']:<20} {row['connections']:>3} connections: {row['per_s']:>7.1f}/s, "
            f"p50 {row['p50_ms']} ms, p99 {row['p99_ms']} ms, {row['errors']} errors"
        )
    print(f"written to {path}")
    return path


if __name__ == "__main__":
    main()
