"""FP8 against bf16 (SFUMATO_PRECISION): how much faster, and how far apart the numbers are.

    python -m bench.precision --model sdxl-random --size 1024          # a GPU of compute capability >= 8.9

One engine is loaded in bf16. One pipeline call (4 steps, latents out) records the UNet's inputs at its
first step and its final latents; the UNet step is then timed on those inputs, and the engine timed at
each batch size. The same UNet is quantized in place (engine/precision.py), and the same step, the same
call and the same timings are made again. The relative error is |fp8 - bf16| / |bf16| (Frobenius norms,
in float32) of the step's output and of the final latents: with `sdxl-random`'s random weights it bounds
what FP8 does to the arithmetic, not to a trained model's pictures. Where fp8 cannot run (a CPU, an older
GPU, no torchao), the result says why and holds the bf16 figures only.
"""

import argparse
from pathlib import Path
from typing import Any

from bench.common import Timer, median, write_result


def relative_error(ours: Any, reference: Any) -> float:
    import torch

    difference = torch.linalg.vector_norm((ours.float() - reference.float()).flatten())
    return float(difference / torch.linalg.vector_norm(reference.float().flatten()))


def measure(engine: Any, args: argparse.Namespace, inputs: dict[str, Any]) -> dict[str, Any]:
    """The final latents of one call, the UNet step's output and time, and the engine's time a batch."""
    import torch

    from sfumato.engine.base import RenderJob

    pipe, spec = engine.pipe, engine.spec
    steps = args.steps or spec.default_steps

    def synchronized() -> None:
        if torch.cuda.is_available():
            torch.cuda.synchronize()

    with torch.inference_mode():
        latents = pipe(
            prompt="a lighthouse at dusk",
            width=args.size,
            height=args.size,
            num_inference_steps=steps,
            guidance_scale=spec.default_guidance_scale,
            generator=torch.Generator().manual_seed(0),
            output_type="latent",
        ).images
        output = pipe.unet(*inputs["args"], **inputs["kwargs"])[0]  # the pipeline asks for a tuple
        times = []
        for _ in range(args.repeats):
            synchronized()
            with Timer() as step:
                pipe.unet(*inputs["args"], **inputs["kwargs"])
                synchronized()
            times.append(step.seconds)
    batches = {}
    for batch in args.batches:
        jobs = [RenderJob(f"prompt {i}", None, args.size, args.size, steps, 0.0, [i]) for i in range(batch)]
        engine.render(jobs)  # first call of the size
        calls = []
        for _ in range(args.repeats):
            with Timer() as call:
                engine.render(jobs)
            calls.append(call.seconds)
        batches[str(batch)] = {
            "call_p50_ms": round(median(calls) * 1000, 1),
            "images_per_s": batch / median(calls),
        }
    return {
        "latents": latents,
        "output": output,
        "unet_step_ms": round(median(times) * 1000, 2),
        "batches": batches,
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    from sfumato.domain.errors import PrecisionUnavailable
    from sfumato.engine import precision
    from sfumato.engine.options import EngineOptions
    from sfumato.engine.registry import load_engine

    engine = load_engine(args.model, EngineOptions(device=args.device))
    pipe = engine.pipe
    dtype = next(pipe.unet.parameters()).dtype
    inputs: dict[str, Any] = {}

    def record(_module: Any, positional: tuple[Any, ...], named: dict[str, Any]) -> None:
        inputs.setdefault("args", positional)
        inputs.setdefault("kwargs", named)

    hook = pipe.unet.register_forward_pre_hook(record, with_kwargs=True)
    bf16 = measure(engine, args, inputs)
    hook.remove()
    result: dict[str, Any] = {
        "model": args.model,
        "size": args.size,
        "device": str(engine.device),
        "dtype": str(dtype).removeprefix("torch."),
        "bf16": {"unet_step_ms": bf16["unet_step_ms"], "batches": bf16["batches"]},
    }
    try:
        precision.check("fp8", engine.device, dtype)
    except PrecisionUnavailable as error:
        result["fp8"] = {"unavailable": error.message}
        return result
    precision.apply(pipe, "fp8")
    fp8 = measure(engine, args, inputs)
    result["fp8"] = {
        "unet_step_ms": fp8["unet_step_ms"],
        "batches": fp8["batches"],
        "unet_step_relative_error": round(relative_error(fp8["output"], bf16["output"]), 5),
        "final_latents_relative_error": round(relative_error(fp8["latents"], bf16["latents"]), 5),
        "unet_step_speedup": round(bf16["unet_step_ms"] / fp8["unet_step_ms"], 3),
    }
    return result


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(prog="python -m bench.precision", description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="sdxl-random")
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--steps", type=int, default=None, help="the model's default when absent")
    parser.add_argument("--batches", type=lambda text: [int(b) for b in text.split(",")], default=[1, 4])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    result = run(args)
    path = write_result("precision", result, args.json)
    for name in ("bf16", "fp8"):
        print(f"{name}: {result[name]}")
    print(f"written to {path}")
    return path


if __name__ == "__main__":
    main()
