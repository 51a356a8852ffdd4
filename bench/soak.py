"""A soak: many clients mixing generation, polling and listing against one `sfumato serve`, for minutes.

    python -m bench.soak --clients 50 --minutes 10 --json bench/results/soak-epyc.json

Each client loops: submit a job (`POST /v1/jobs`, 256x256), poll it (`GET /v1/jobs/{id}`) until it ends, list
its key's jobs and images, fetch the image's bytes. Five keys (`--keys`) share the clients. It reports every
5xx (there should be none), the server's resident memory after the warm-up and at the end (flat within 10% is
the target), and the poll latency p50/p99. Outside CI: it takes the minutes it is told.
"""

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from bench.common import percentile, write_result
from bench.servers import Running, free_port, unlimited_key


def resident_mib(pid: int) -> float:
    """The process's resident memory (Linux: /proc), MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def client(http: httpx.AsyncClient, key: str, index: int, until: float, record: dict[str, Any]) -> None:
    headers = {"x-api-key": key}
    n = 0
    while time.monotonic() < until:
        n += 1
        body = {"prompt": f"soak {index} {n}", "width": 256, "height": 256, "steps": 2}
        try:
            answer = await http.post("/v1/jobs", json=body, headers=headers)
            record["statuses"][answer.status_code] += 1
            if answer.status_code != 202:
                await asyncio.sleep(0.5)
                continue
            job_id = answer.json()["id"]
            while time.monotonic() < until + 120:
                started = time.perf_counter()
                poll = await http.get(f"/v1/jobs/{job_id}", headers=headers)
                record["polls_ms"].append((time.perf_counter() - started) * 1000)
                record["statuses"][poll.status_code] += 1
                if poll.status_code != 200 or poll.json()["status"] in ("succeeded", "failed", "canceled"):
                    break
                await asyncio.sleep(0.25)
            for path in ("/v1/jobs?limit=20", "/v1/images?limit=20"):
                listed = await http.get(path, headers=headers)
                record["statuses"][listed.status_code] += 1
            images = poll.json().get("images") or [] if poll.status_code == 200 else []
            if images:
                content = await http.get(f"/v1/images/{images[0]['id']}/content", headers=headers)
                record["statuses"][content.status_code] += 1
        except httpx.HTTPError as error:
            record["transport_errors"].append(f"{type(error).__name__} on {error.request.url.path}")


async def soak(url: str, keys: list[str], clients: int, seconds: float, record: dict[str, Any]) -> None:
    limits = httpx.Limits(max_connections=clients + 10)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as http:
        until = time.monotonic() + seconds
        await asyncio.gather(*(client(http, keys[i % len(keys)], i, until, record) for i in range(clients)))


def run(args: argparse.Namespace) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="sfumato-soak-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("SFUMATO_")}
    env |= {"SFUMATO_DATA_DIR": str(folder / "data"), "SFUMATO_MODEL": args.model, "PYTHONUNBUFFERED": "1"}
    env |= {"SFUMATO_MAX_QUEUED_JOBS": "100000"}
    keys = [unlimited_key(env, f"soak-{i}") for i in range(args.keys)]
    port = free_port()
    server = Running(
        [sys.executable, "-m", "sfumato", "serve", "--port", str(port)], env, folder / "serve.log", port
    )
    try:
        server.wait("/readyz")
        warm: dict[str, Any] = {"statuses": Counter(), "polls_ms": [], "transport_errors": []}
        asyncio.run(soak(server.url, keys, args.clients, args.warmup, warm))
        memory_start = resident_mib(server.popen.pid)
        record: dict[str, Any] = {"statuses": Counter(), "polls_ms": [], "transport_errors": []}
        started = time.monotonic()
        asyncio.run(soak(server.url, keys, args.clients, args.minutes * 60, record))
        elapsed = time.monotonic() - started
        memory_end = resident_mib(server.popen.pid)
    finally:
        server.stop()
    statuses: Counter[int] = record["statuses"]
    polls = record["polls_ms"]
    return {
        "clients": args.clients,
        "seconds": round(elapsed, 1),
        "requests": sum(statuses.values()),
        "statuses": {str(code): count for code, count in sorted(statuses.items())},
        "server_errors": sum(count for code, count in statuses.items() if code >= 500),
        "transport_errors": len(record["transport_errors"]),
        "transport_error_kinds": dict(Counter(record["transport_errors"]).most_common(10)),
        "memory_start_mib": round(memory_start, 1),
        "memory_end_mib": round(memory_end, 1),
        "memory_growth": round(memory_end / memory_start - 1, 3) if memory_start else None,
        "poll_p50_ms": round(percentile(polls, 0.5), 1),
        "poll_p99_ms": round(percentile(polls, 0.99), 1),
        "polls": len(polls),
        "images_made": statuses.get(202, 0),
    }


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", default="tiny")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--keys", type=int, default=5, help="the clients share this many keys")
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=20, help="seconds of load before memory is read")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    result = run(args)
    path = write_result("soak", result, args.json)
    growth = result["memory_growth"]
    print(
        f"{result['requests']} requests in {result['seconds']} s from {result['clients']} clients: "
        f"{result['server_errors']} 5xx, {result['transport_errors']} transport errors; "
        f"memory {result['memory_start_mib']} → {result['memory_end_mib']} MiB ({growth:+.1%}); "
        f"poll p50 {result['poll_p50_ms']} ms, p99 {result['poll_p99_ms']} ms"
    )
    print(f"written to {path}")
    return path


if __name__ == "__main__":
    main()
