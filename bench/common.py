"""What every benchmark shares: the machine's description, percentiles, and writing results."""

import json
import os
import platform
import statistics
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def machine() -> dict[str, Any]:
    """The machine the numbers were measured on: they mean nothing without it."""
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    return {
        "cpu": cpu,
        "cpu_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "gpu": gpu,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "diffusers": metadata.version("diffusers"),
        "host": platform.node(),
    }


def percentile(values: Sequence[float], fraction: float) -> float:
    """The value below which `fraction` of the values lie (nearest rank on sorted values)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(0, min(len(ordered) - 1, round(fraction * (len(ordered) - 1))))
    return ordered[rank]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def write_result(kind: str, result: dict[str, Any], path: Path | None = None) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = path or RESULTS / f"{kind}-{stamp}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {"benchmark": kind, "measured_at": stamp, "machine": machine(), **result}
    path.write_text(json.dumps(document, indent=2) + "\n")
    return path


class Timer:
    def __enter__(self) -> "Timer":
        self.start = time.perf_counter()
        return self

    def __exit__(self, *_: object) -> None:
        self.seconds = time.perf_counter() - self.start


class NumberedJobs:
    """The engine benchmarks' jobs, of one size: each with a prompt and a seed of its own, so that no repeat
    is answered from a cache."""

    def __init__(self, size: int, steps: int, guidance_scale: float) -> None:
        self.size, self.steps, self.guidance_scale = size, steps, guidance_scale
        self.made = 0

    def take(self, count: int, **fields: Any) -> list[Any]:
        """The next `count` jobs (`fields`: RenderJob's own, as `mode=`, `image=`, `adapters=`)."""
        from sfumato.engine.base import RenderJob

        self.made += count
        first = self.made
        return [
            RenderJob(
                f"benchmark prompt {first + i}",
                None,
                self.size,
                self.size,
                self.steps,
                self.guidance_scale,
                [first + i],
                **fields,
            )
            for i in range(count)
        ]
