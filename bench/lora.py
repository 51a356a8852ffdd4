"""`python -m bench.engine --lora`: what LoRA adapters cost the engine (docs/benchmarks.md, "LoRA adapters").

One job of one image a call, in the engine the worker uses (DiffusersEngine.render with its adapter cache):
- `none`: no adapter;
- `cached`: an adapter loaded already (a cache hit: no disk read);
- `swap`: two cached adapters, each call the other one (`set_adapters` switches them);
- `cold`: an adapter never loaded before (a new id each call: the file read, diffusers' load, PEFT's layers);
  `load_ms` is the load alone, as the cache times it for /metrics;
then the cost of mixing adapter sets in a batch: jobs of two sets are two calls (a batch holds one set),
against the same number of jobs of one set in one call (`mixed` and `one_set`, `--mix` jobs each).
For `tiny` the LoRAs are the tests' own (bench/lora_files.py: rank 4 on the UNet's attention, made offline
with PEFT); for another model, random ones of `--lora-rank` on its denoiser's attention projections. With
`--compile on` the adapters are hot-swapped into two slots made before compilation (engine/hotswap.py), the
warm-up compiles, and `recompiles` counts the graphs compiled after it (0 is the aim; `TORCH_LOGS=recompiles`
shows any): `swap`'s repeats are that many swaps.
"""

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import NumberedJobs, Timer, median, percentile


def run(args: argparse.Namespace) -> dict[str, Any]:
    from bench.lora_files import lora_for, tiny_lora
    from sfumato.engine.adapters import AdapterEvents, AdapterFile, AdapterLimits
    from sfumato.engine.base import RenderJob
    from sfumato.engine.hotswap import denoiser_name
    from sfumato.engine.options import EngineOptions
    from sfumato.engine.registry import load_engine, spec_for

    class Loads(AdapterEvents):
        def __init__(self) -> None:
            self.seconds: list[float] = []
            self.recompiles = 0

        def loaded(self, seconds: float) -> None:
            self.seconds.append(seconds)

        def recompiled(self, graphs: int) -> None:
            self.recompiles += graphs

    spec = spec_for(args.model)
    steps = args.steps or spec.default_steps
    compiled = args.compile == "on"
    options = EngineOptions(
        device=args.device,
        dtype=args.dtype,
        compile=compiled,
        compile_cache=args.compile_cache,
        warmup_sizes=((args.size, args.size),),
        adapters=AdapterLimits(slots=2 if compiled else 0, rank=max(args.lora_rank, 8)),
    )
    with Timer() as load:
        engine = load_engine(args.model, options)
    loads = Loads()
    engine.listen_adapters(loads)
    with Timer() as warm:
        engine.warmup()
    folder = Path(tempfile.mkdtemp(prefix="bench-lora-"))
    files = []
    for seed in (1, 2):
        path = folder / f"lora-{seed}.safetensors"
        if spec.name == "tiny":
            path.write_bytes(tiny_lora(seed, rank=args.lora_rank))
        else:
            name = denoiser_name(engine.pipe, engine.model.denoiser)
            path.write_bytes(lora_for(engine.pipe, name, seed, rank=args.lora_rank))
        files.append(path)
    numbered = NumberedJobs(args.size, steps, spec.default_guidance_scale)

    def adapter(index: int, lora_id: str | None = None) -> AdapterFile:
        path = files[index]
        return AdapterFile(lora_id or f"lora_{index}", path.stem, 1.0, path, path.stat().st_size)

    def jobs(count: int, adapters: tuple[AdapterFile, ...]) -> list[RenderJob]:
        return numbered.take(count, adapters=adapters)

    def timed(call: Any) -> dict[str, Any]:
        call(-1)  # once untimed: a first call of a kind may set up what the later ones reuse
        times, cpu = [], time.process_time()
        for index in range(args.repeats):
            with Timer() as one:
                call(index)
            times.append(one.seconds)
        cpu = time.process_time() - cpu
        return {
            "p50_ms": round(median(times) * 1000, 1),
            "p95_ms": round(percentile(times, 0.95) * 1000, 1),
            "cpu_ms": round(cpu / args.repeats * 1000, 1),
        }

    rows: dict[str, dict[str, Any]] = {}
    rows["none"] = timed(lambda _: engine.render(jobs(1, ())))
    rows["cached"] = timed(lambda _: engine.render(jobs(1, (adapter(0),))))
    engine.render(jobs(1, (adapter(1),)))  # both loaded now
    rows["swap"] = timed(lambda index: engine.render(jobs(1, (adapter(index % 2),))))
    loads.seconds.clear()
    rows["cold"] = timed(lambda index: engine.render(jobs(1, (adapter(0, f"lora_cold_{index}"),))))
    rows["cold"]["load_ms"] = round(median(loads.seconds) * 1000, 1)
    half = args.mix // 2
    rows["mixed"] = timed(
        lambda _: (engine.render(jobs(half, (adapter(0),))), engine.render(jobs(half, (adapter(1),))))
    )
    rows["one_set"] = timed(lambda _: engine.render(jobs(2 * half, (adapter(0),))))
    for name, row in rows.items():
        print(f"  {name}: {row['p50_ms']:.0f} ms (p50), CPU {row['cpu_ms']:.0f} ms")
    return {
        "model": args.model,
        "family": spec.family,
        "size": args.size,
        "steps": steps,
        "device": str(engine.device),
        "compile": compiled,
        "load_s": round(load.seconds, 2),
        "warmup_s": round(warm.seconds, 2),
        "recompiles": loads.recompiles,
        "lora_rank": args.lora_rank,
        "lora_bytes": files[0].stat().st_size,
        "mix_jobs": 2 * half,
        "repeats": args.repeats,
        "rows": rows,
    }


def table(result: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    machine = result["machine"]
    out = Table(
        title=f"engine with LoRA adapters: {result['model']} {result['size']}x{result['size']}, "
        f"{result['steps']} steps, {result['device']}, compile {'on' if result['compile'] else 'off'} "
        f"({result['recompiles']} recompiles) | {machine['gpu'] or machine['cpu']} "
        f"({machine['cpu_cores']} cores)"
    )
    for column in ("case", "ms a call (p50)", "p95", "CPU ms a call", "load ms"):
        out.add_column(column, justify="right")
    for name, row in result["rows"].items():
        out.add_row(
            name,
            f"{row['p50_ms']:.0f}",
            f"{row['p95_ms']:.0f}",
            f"{row['cpu_ms']:.0f}",
            str(row.get("load_ms", "")),
        )
    Console().print(out)
