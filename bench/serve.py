"""End to end: N concurrent clients against a running Sfumato, and against the plain server, in one run.

    python -m bench.serve --model tiny --clients 8 --duration 30 --size 512

Each server is started fresh as its own process (Sfumato: `sfumato serve` on a temporary folder;
the baseline: bench/plain_server.py), warmed up, then loaded by `--clients` clients that each send a
request, wait for the image's bytes, and send the next, for `--duration` seconds. A Sfumato request is
what its clients do: `POST /v1/images/imagine` (waits for the image) then `GET /v1/images/{id}/content`;
a baseline request is one `POST /generate` answered with the PNG. Latency is from sending the request
to holding the bytes. Only one server runs at a time, so both have the whole machine.
"""

import argparse
import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

from bench.common import median, percentile, write_result

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Running:
    """A server process, its address, and its log."""

    def __init__(self, command: list[str], env: dict[str, str], log: Path, port: int) -> None:
        self.log = log
        self.url = f"http://127.0.0.1:{port}"
        self._file = log.open("wb")
        self.popen = subprocess.Popen(command, env=env, cwd=ROOT, stdout=self._file, stderr=subprocess.STDOUT)

    def wait(self, path: str, seconds: float = 600) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise SystemExit(f"the server exited:\n{self.log.read_text()[-3000:]}")
            try:
                if httpx.get(self.url + path, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise SystemExit(f"the server was not ready in {seconds:.0f} s:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(60)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        self._file.close()


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
    counter = 0
    limits = httpx.Limits(max_connections=clients * 2)
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=300, limits=limits) as http:

        async def client(until: float, record: bool) -> None:
            nonlocal counter
            while time.perf_counter() < until:
                counter += 1
                start = time.perf_counter()
                try:
                    await request(http, counter)
                except Exception as error:  # a failed request is counted, not fatal
                    errors.append(f"{type(error).__name__}: {error}"[:200])
                    continue
                end = time.perf_counter()
                if record and end <= until:
                    latencies.append(end - start)

        await asyncio.gather(*(client(time.perf_counter() + warmup, False) for _ in range(clients)))
        started = time.perf_counter()
        await asyncio.gather(*(client(started + duration, True) for _ in range(clients)))
    return {
        "clients": clients,
        "duration_s": duration,
        "images": len(latencies),
        "images_per_s": round(len(latencies) / duration, 3),
        "p50_ms": round(median(latencies) * 1000, 1),
        "p95_ms": round(percentile(latencies, 0.95) * 1000, 1),
        "errors": len(errors),
        "first_errors": errors[:3],
    }


def bench_sfumato(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SFUMATO_")}
    env |= {"SFUMATO_DATA_DIR": str(folder / "sfumato"), "SFUMATO_MODEL": args.model, "PYTHONUNBUFFERED": "1"}
    env |= {f"SFUMATO_{name.upper()}": value for name, value in (s.split("=", 1) for s in args.setting)}
    sfumato = [sys.executable, "-m", "sfumato"]
    created = subprocess.run(
        # The benchmark measures the service, not its limits: a key never rate-limited nor out of quota.
        [
            *sfumato,
            "keys",
            "create",
            "--name",
            "bench",
            "--plan",
            "enterprise",
            "--rpm",
            "100000000",
            "--monthly-images",
            "1000000000",
            "--json",
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    key = json.loads(created.stdout)["key"]
    port = free_port()
    server = Running([*sfumato, "serve", "--port", str(port)], env, folder / "sfumato.log", port)
    try:
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

        result = asyncio.run(
            load(request, server.url, {"x-api-key": key}, args.clients, args.duration, args.warmup)
        )
    finally:
        server.stop()
    # The worker logs each pipeline call ("generating N images for ..."), warm-up load included.
    calls = [int(n) for n in re.findall(r"generating (\d+) images for", server.log.read_text())]
    result["pipeline_calls"] = len(calls)
    result["images_per_call"] = round(sum(calls) / len(calls), 2) if calls else 0.0
    return result


def bench_plain(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    port = free_port()
    env = dict(os.environ) | {"PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "bench.plain_server", "--model", args.model, "--port", str(port)]
    server = Running(command, env, folder / "plain.log", port)
    try:
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

        return asyncio.run(load(request, server.url, {}, args.clients, args.duration, args.warmup))
    finally:
        server.stop()


def table(result: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    machine = result["machine"]
    out = Table(
        title=(
            f"end to end: {result['model']} {result['size']}x{result['size']}, "
            f"{result['clients']} clients, {result['duration_s']:.0f} s | "
            f"{machine['gpu'] or machine['cpu']} ({machine['cpu_cores']} cores)"
        )
    )
    for column in ("server", "images", "images/s", "p50 ms", "p95 ms", "errors"):
        out.add_column(column, justify="right")
    for name in ("sfumato", "plain"):
        if name in result:
            row = result[name]
            out.add_row(
                name,
                str(row["images"]),
                f"{row['images_per_s']:.2f}",
                f"{row['p50_ms']:.0f}",
                f"{row['p95_ms']:.0f}",
                str(row["errors"]),
            )
    Console().print(out)
    if "speedup" in result:
        print(f"sfumato / plain, images/s: {result['speedup']:.2f}x")


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(prog="python -m bench.serve", description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="tiny")
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument("--clients", type=int, default=8)
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
    result: dict[str, Any] = {
        "model": args.model,
        "size": args.size,
        "clients": args.clients,
        "duration_s": args.duration,
        "settings": args.setting,
    }
    with tempfile.TemporaryDirectory(prefix="sfumato-bench-") as folder:
        if args.only in (None, "sfumato"):
            result["sfumato"] = bench_sfumato(args, Path(folder))
        if args.only in (None, "plain"):
            result["plain"] = bench_plain(args, Path(folder))
    if "sfumato" in result and "plain" in result and result["plain"]["images_per_s"]:
        result["speedup"] = round(result["sfumato"]["images_per_s"] / result["plain"]["images_per_s"], 2)
    path = write_result("serve", result, args.json)
    table({**result, "machine": json.loads(path.read_text())["machine"]})
    print(f"written to {path}")
    return path


if __name__ == "__main__":
    main()
