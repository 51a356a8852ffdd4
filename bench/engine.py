"""The engine alone: images/s and latency per image at several batch sizes, with and without compile.

    python -m bench.engine --model tiny --size 512                  # CPU
    python -m bench.engine --model tiny-flux --size 512             # CPU: FLUX's pipeline, tiny weights
    python -m bench.engine --model sdxl-random --size 1024 --compile both   # a GPU
    python -m bench.engine --model flux-random --size 1024          # a GPU: FLUX.1-schnell's shapes
    python -m bench.engine --model tiny --size 512 --modes text,image,inpaint   # images in, beside text
    python -m bench.engine --model sdxl-random --size 1024 --compile on --compile-cache /tmp/cc  # a restart
    python -m bench.engine --model tiny --size 256 --lora           # LoRA adapters: cached, swapped, cold

Each batch is one call of the engine the worker uses (DiffusersEngine.render), with one job of one
image per slot, every prompt and seed different, timed to the PIL images (so a GPU has finished). On
CUDA each row also says the most memory the calls of its batch size held (`peak_mib`). Each start's
load and warm-up times are kept (`starts`): with `--compile-cache` a second run reads the first one's
kernels, which is what a restart of the service with SFUMATO_COMPILE does (docs/benchmarks.md).
"""

import argparse
import gc
import time
from pathlib import Path
from typing import Any

from bench.common import NumberedJobs, Timer, median, percentile, write_result


def run(args: argparse.Namespace) -> dict[str, Any]:
    import numpy as np
    import torch
    from PIL import Image

    from sfumato.domain.models import RANDOM
    from sfumato.engine.base import RenderJob
    from sfumato.engine.device import pick_device
    from sfumato.engine.options import EngineOptions
    from sfumato.engine.registry import load_engine, spec_for

    spec = spec_for(args.model)
    if spec.name == "flux-random" and pick_device(args.device).type != "cuda":
        # 17 billion parameters: about 34 GB in bf16 on a GPU, 68 GB in float32 on a CPU.
        raise SystemExit(f"{spec.name} is for a GPU ({spec.family}, {RANDOM} weights of the full size)")
    steps = args.steps or spec.default_steps
    # Image jobs redraw a picture of noise; inpainting repaints its middle quarter.
    picture = Image.fromarray(np.random.default_rng(0).integers(0, 256, (args.size, args.size, 3), np.uint8))
    mask = Image.new("L", (args.size, args.size), 0)
    mask.paste(255, (args.size // 4, args.size // 4, 3 * args.size // 4, 3 * args.size // 4))
    rows: list[dict[str, Any]] = []
    starts: list[dict[str, Any]] = []
    for compiled in {"off": [False], "on": [True], "both": [False, True]}[args.compile]:
        options = EngineOptions(
            device=args.device,
            dtype=args.dtype,
            compile=compiled,
            precision=args.precision,
            compile_cache=args.compile_cache,
        )
        with Timer() as load:
            engine = load_engine(args.model, options)
        with Timer() as warm:
            engine.warmup()
        print(
            f"{args.model} on {engine.device} (compile {'on' if compiled else 'off'}): "
            f"loaded in {load.seconds:.1f} s, warmed up in {warm.seconds:.1f} s"
        )
        starts.append(
            {"compile": compiled, "load_s": round(load.seconds, 2), "warmup_s": round(warm.seconds, 2)}
        )
        numbered = NumberedJobs(args.size, steps, spec.default_guidance_scale)
        for mode in args.modes:
            for batch in args.batches:

                def jobs(
                    batch: int = batch, mode: str = mode, numbered: NumberedJobs = numbered
                ) -> list[RenderJob]:
                    return numbered.take(
                        batch,
                        mode=mode,
                        image=picture if mode != "text" else None,
                        mask=mask if mode == "inpaint" else None,
                        strength=args.strength,
                    )

                if torch.cuda.is_available():
                    torch.cuda.reset_peak_memory_stats()
                with Timer() as first:  # a new batch size: compiled graphs may trace again
                    engine.render(jobs())
                times = []
                cpu = time.process_time()
                for _ in range(args.repeats):
                    with Timer() as call:
                        engine.render(jobs())
                    times.append(call.seconds)
                cpu = time.process_time() - cpu
                p50 = median(times)
                peak = torch.cuda.max_memory_allocated() / 2**20 if torch.cuda.is_available() else None
                rows.append(
                    {
                        "compile": compiled,
                        "mode": mode,
                        "batch": batch,
                        "first_call_s": round(first.seconds, 4),
                        "batch_p50_s": round(p50, 4),
                        "batch_p95_s": round(percentile(times, 0.95), 4),
                        "per_image_ms": round(p50 / batch * 1000, 1),
                        "images_per_s": round(batch / p50, 3),
                        # CPU time of this process (every thread), an image: on a machine shared with other
                        # work, the cost that the wall clock's figures hide under the others' load.
                        "cpu_ms_per_image": round(cpu / (batch * args.repeats) * 1000, 1),
                        "repeats": args.repeats,
                        "peak_mib": round(peak) if peak is not None else None,
                    }
                )
                print(f"  {mode}, batch {batch}: {p50 * 1000:.0f} ms a call, {batch / p50:.2f} images/s")
        device = str(engine.device)
        dtype = str(next(engine.model.denoiser.parameters()).dtype).removeprefix("torch.")
        del engine
        gc.collect()
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
    return {
        "model": args.model,
        "family": spec.family,
        "size": args.size,
        "steps": steps,
        "strength": args.strength,
        "device": device,
        "dtype": dtype,
        "precision": args.precision,
        "starts": starts,
        "rows": rows,
    }


def table(result: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    machine = result["machine"]
    title = (
        f"engine: {result['model']} {result['size']}x{result['size']}, {result['steps']} steps, "
        f"{result['device']} {result['dtype']} | {machine['gpu'] or machine['cpu']} "
        f"({machine['cpu_cores']} cores)"
    )
    out = Table(title=title)
    columns = (
        "compile",
        "mode",
        "batch",
        "ms a call (p50)",
        "ms an image",
        "images/s",
        "CPU ms an image",
        "first call s",
        "peak MiB",
    )
    for column in columns:
        out.add_column(column, justify="right")
    for row in result["rows"]:
        out.add_row(
            "on" if row["compile"] else "off",
            row.get("mode", "text"),
            str(row["batch"]),
            f"{row['batch_p50_s'] * 1000:.0f}",
            f"{row['per_image_ms']:.0f}",
            f"{row['images_per_s']:.2f}",
            f"{row.get('cpu_ms_per_image', 0):.0f}",
            f"{row['first_call_s']:.1f}",
            str(row.get("peak_mib") or ""),
        )
    Console().print(out)


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(prog="python -m bench.engine", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--model",
        default="tiny",
        help="tiny, tiny-flux, tiny-sd3 (CPU); sdxl-random, flux-random (a GPU); or a model with its weights",
    )
    parser.add_argument("--size", type=int, default=512, help="width and height")
    parser.add_argument("--steps", type=int, default=None, help="the model's default when absent")
    parser.add_argument(
        "--batches",
        "--batch-sweep",
        type=lambda text: [int(b) for b in text.split(",")],
        default=[1, 2, 4, 8],
        help="the batch sizes, each timed in turn (1,2,4,8,16)",
    )
    parser.add_argument("--repeats", type=int, default=5, help="timed calls per batch size")
    parser.add_argument(
        "--modes",
        type=lambda text: text.split(","),
        default=["text"],
        help="text, image (image-to-image), inpaint: each at every batch size",
    )
    parser.add_argument("--strength", type=float, default=0.6, help="of the image and inpaint jobs")
    parser.add_argument("--compile", choices=["off", "on", "both"], default="off")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--dtype", default="auto")
    parser.add_argument("--precision", choices=["bf16", "fp8"], default="bf16", help="SFUMATO_PRECISION")
    parser.add_argument(
        "--compile-cache",
        type=Path,
        default=None,
        help="keep compiled kernels in this folder, as the service does in $SFUMATO_DATA_DIR/compile-cache",
    )
    parser.add_argument(
        "--lora",
        action="store_true",
        help="LoRA adapters instead (bench/lora.py): none, cached, a swap, a cold load; a mixed batch",
    )
    parser.add_argument("--lora-rank", type=int, default=4, help="with --lora: the adapters' rank")
    parser.add_argument("--mix", type=int, default=4, help="with --lora: the jobs of the mixed batch")
    parser.add_argument("--json", type=Path, default=None, help="where to write the result")
    args = parser.parse_args(argv)
    if args.lora:
        from bench import lora

        result = lora.run(args)
        path = write_result("engine-lora", result, args.json)
        lora.table({**result, "machine": __import__("json").loads(path.read_text())["machine"]})
        print(f"written to {path}")
        return path
    result = run(args)
    path = write_result("engine", result, args.json)
    table({**result, "machine": __import__("json").loads(path.read_text())["machine"]})
    print(f"written to {path}")
    return path


if __name__ == "__main__":
    main()
