"""The API's own cost, measured from outside with `wrk` (a load tool in its own process, so the client's cost
is not the server's): polls of one job, submissions of new jobs, and `/healthz`, each a second, with their
latency, at 8 connections (and any others asked).

    python -m bench.polls --connections 8 --duration 20
    python -m bench.polls --source /path/to/another/checkout     # the same rows for another version

Makes a key whose plan limits nothing the load would reach (every rule is still applied: the key is
authenticated and counted, the body checked, each job written with its quota charge), then runs
`wrk -t1 -cN -dD --latency`, after as long a warm-up, against two servers on a temporary folder (tiny model):
`sfumato serve`, once one job has succeeded with its image (`GET /v1/jobs/{id}` of that job, `GET /healthz`,
while the worker idles), then `sfumato serve --no-worker` (`POST /v1/jobs` with `Prefer: respond-async`: the
jobs queue, no engine runs beside the measure). `wrk` comes from Debian (`apt-get install wrk`).
"""

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx

from bench.common import Timer, write_result
from bench.servers import ROOT, Running, create_key, free_port, sfumato_env

# A plan no benchmark load reaches: every limit is applied, none refuses.
UNLIMITED = {
    "bench": {
        "monthly_images": None,
        "requests_per_minute": 100_000_000,
        "reads_per_minute": 100_000_000,
        "max_images_per_request": 10,
    }
}
SUBMISSION = {"prompt": "a kite over the sea", "width": 256, "height": 256}


def lua_post(path: Path, key: str) -> Path:
    """A wrk script that POSTs one job body with the key and `Prefer: respond-async`."""
    body = json.dumps(SUBMISSION).replace("\\", "\\\\").replace('"', '\\"')
    path.write_text(
        'wrk.method = "POST"\n'
        f'wrk.body = "{body}"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        f'wrk.headers["x-api-key"] = "{key}"\n'
        'wrk.headers["Prefer"] = "respond-async"\n'
    )
    return path


def parse_wrk(output: str) -> dict[str, Any]:
    """Requests a second, latency percentiles (ms), and non-2xx answers, from `wrk --latency`'s report."""

    def ms(text: str) -> float:
        number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
        return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]

    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    requests = re.search(r"(\d+) requests in", output)
    percentiles = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", output, re.MULTILINE))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    if rate is None or requests is None or "50" not in percentiles:
        raise SystemExit(f"could not read wrk's report:\n{output}")
    return {
        "requests": int(requests.group(1)),
        "per_s": round(float(rate.group(1)), 1),
        "p50_ms": round(ms(percentiles["50"]), 2),
        "p99_ms": round(ms(percentiles["99"]), 2),
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": sum(int(n) for n in errors.groups()) if errors else 0,
    }


def wrk(url: str, connections: int, duration: float, *, headers: dict[str, str], script: Path | None) -> str:
    seconds = max(1, round(duration))  # wrk takes whole seconds
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    if script is not None:
        command += ["-s", str(script)]
    return subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout


def finished_job(url: str, key: str) -> str:
    """A job that succeeded, with its image: what a client polls until it sees it end."""
    headers = {"x-api-key": key, "Prefer": "wait=300"}
    answer = httpx.post(url + "/v1/jobs", json=SUBMISSION, headers=headers, timeout=330)
    answer.raise_for_status()
    if answer.json()["status"] != "succeeded":
        raise SystemExit(f"the job did not succeed: {answer.text[:300]}")
    return str(answer.json()["id"])


def measured(
    args: argparse.Namespace, url: str, route: str, path: str, headers: dict[str, str], script: Path | None
) -> list[dict[str, Any]]:
    rows = []
    for connections in args.connections:
        wrk(url + path, connections, args.warmup, headers=headers, script=script)
        report = wrk(url + path, connections, args.duration, headers=headers, script=script)
        rows.append({"route": route, "connections": connections} | parse_wrk(report))
    return rows


def run(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    source = args.source.resolve()
    env = sfumato_env(folder, "tiny", [*args.setting, "max_queued_jobs=100000000"])
    env["SFUMATO_PLANS"] = json.dumps(UNLIMITED)
    env["PYTHONPATH"] = str(source / "src")
    python = [sys.executable, "-m", "sfumato"]
    key = create_key(env, "bench", "--plan", "bench", cwd=source)
    rows: list[dict[str, Any]] = []
    for worker in (True, False):
        port = free_port()
        serve = [*python, "serve", "--port", str(port), *([] if worker else ["--no-worker"])]
        server = Running(serve, env, folder / f"log-{port}", port, cwd=source)
        try:
            with Timer() as ready:
                server.wait("/readyz")
            if worker:
                job = f"/v1/jobs/{finished_job(server.url, key)}"
                rows += measured(args, server.url, "GET /v1/jobs/{id}", job, {"x-api-key": key}, None)
                rows += measured(args, server.url, "GET /healthz", "/healthz", {}, None)
            else:
                post = lua_post(folder / "post.lua", key)
                rows += measured(args, server.url, "POST /v1/jobs", "/v1/jobs", {}, post)
        finally:
            server.stop()
    commit = subprocess.run(
        ["git", "-C", str(source), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    return {"ready_s": round(ready.seconds, 2), "source_commit": commit, "rows": rows}


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(prog="python -m bench.polls", description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=lambda text: [int(c) for c in text.split(",")], default=[8])
    parser.add_argument("--duration", type=float, default=20.0, help="measured seconds per row")
    parser.add_argument("--warmup", type=float, default=3.0, help="unmeasured seconds of load first")
    parser.add_argument("--source", type=Path, default=ROOT, help="the checkout whose server is measured")
    parser.add_argument("--setting", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        raise SystemExit("bench.polls needs wrk: apt-get install wrk")
    with tempfile.TemporaryDirectory(prefix="sfumato-polls-") as folder:
        result = {"duration_s": args.duration, "settings": args.setting} | run(args, Path(folder))
    path = write_result("polls", result, args.json)
    for row in result["rows"]:
        print(
            f"{row['route']:<20} {row['connections']:>3} connections: {row['per_s']:>8.1f}/s, "
            f"p50 {row['p50_ms']} ms, p99 {row['p99_ms']} ms, {row['non_2xx']} non-2xx"
        )
    print(f"written to {path}")
    return path


if __name__ == "__main__":
    main()
