"""Several models served by one process under mixed load (`python -m bench.serve --models tiny,tiny-flux`).

One `sfumato serve --model A --model B …` (its own worker) is loaded twice by the same closed-loop clients as
bench.serve's: first every request names the first model (one model alone, in this process), then the
requests take the models in turn (request i names model i mod N). Each row has the images a second, the
latency, and the model switches the worker made in it, read from `/metrics` (`sfumato_model_switches_total`,
docs/models.md): with `--setting model_memory=…` below two models' size, a switch is an unload and a load,
which is what mixed load costs a worker that cannot hold every model.
"""

import argparse
import asyncio
import re
import sys
from pathlib import Path
from typing import Any

import httpx

from bench.common import Timer
from bench.servers import Running, free_port, sfumato_env, unlimited_key

SWITCHES = re.compile(r'^sfumato_model_switches_total\{model="([^"]+)"\} ([\d.e+]+)$', re.MULTILINE)


def switches(url: str) -> int:
    """Model switches the server's worker made since it started (every model's together)."""
    text = httpx.get(url + "/metrics", timeout=10).text
    return round(sum(float(count) for _, count in SWITCHES.findall(text)))


def bench_models(args: argparse.Namespace, folder: Path) -> list[dict[str, Any]]:
    """The first model alone, then all of them in turn, on one server: a row each per client count."""
    from bench.serve import load  # the same clients as every other bench.serve row

    models: list[str] = args.models
    env = sfumato_env(folder, models[0], [*args.setting, f"models={','.join(models)}"])
    sfumato = [sys.executable, "-m", "sfumato"]
    key = unlimited_key(env)
    port = free_port()
    server = Running([*sfumato, "serve", "--port", str(port)], env, folder / "sfumato.log", port)
    rows: list[dict[str, Any]] = []
    try:
        with Timer() as ready:
            server.wait("/readyz")
        for mix in ([models[0]], models):

            async def request(http: httpx.AsyncClient, i: int, mix: list[str] = mix) -> int:
                body = {
                    "name": "bench",
                    "model": mix[i % len(mix)],
                    "prompt": f"benchmark {i}",
                    "seed": i,
                    "width": args.size,
                    "height": args.size,
                }
                answer = await http.post("/v1/images/imagine", json=body, headers={"Prefer": "wait=300"})
                if answer.status_code != 201:
                    raise RuntimeError(f"imagine answered {answer.status_code}: {answer.text[:120]}")
                content = await http.get(f"/v1/images/{answer.json()['id']}/content")
                content.raise_for_status()
                return len(content.content)

            for clients in args.sweep:
                before = switches(server.url)
                row = asyncio.run(
                    load(request, server.url, {"x-api-key": key}, clients, args.duration, args.warmup)
                )
                # The warm-up's switches count too: they are what this mix costs from the last one's state.
                rows.append({"models": mix, "switches": switches(server.url) - before} | row)
    finally:
        server.stop()
    return [row | {"ready_s": round(ready.seconds, 2)} for row in rows]


def print_rows(rows: list[dict[str, Any]]) -> None:
    alone = {row["clients"]: row["images_per_s"] for row in rows if len(row["models"]) == 1}
    for row in rows:
        share = row["images_per_s"] / alone[row["clients"]] if alone.get(row["clients"]) else 0.0
        print(
            f"{'+'.join(row['models']):<24} {row['clients']:>3} clients: {row['images_per_s']:.2f} images/s "
            f"({share:.2f}x the first alone), p50 {row['p50_ms']:.0f} ms, {row['switches']} switches, "
            f"{row['errors']} errors"
        )


def run_models(args: argparse.Namespace) -> Path:
    """bench.serve with `--models`: the rows above, written as a `serve-models` result."""
    import tempfile

    from bench.common import write_result

    with tempfile.TemporaryDirectory(prefix="sfumato-bench-") as folder:
        rows = bench_models(args, Path(folder))
    result = {"models": args.models, "size": args.size, "duration_s": args.duration, "settings": args.setting}
    path = write_result("serve-models", result | {"rows": rows}, args.json)
    print_rows(rows)
    print(f"written to {path}")
    if not all(row["answered"] for row in rows):
        raise SystemExit(f"a row made no image: {[row['first_errors'] for row in rows]}")
    return path
