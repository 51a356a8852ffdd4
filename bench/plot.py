"""A `bench.serve --sweep` result drawn: images/s, and latency p50 / p95, against the client count, for
Sfumato and the plain server. matplotlib is a test-and-bench dependency (pyproject.toml), never the
service's: imported here only, when asked to draw."""

from pathlib import Path
from typing import Any

COLOURS = {"sfumato": "tab:blue", "plain": "tab:orange"}
NAMES = {"sfumato": "Sfumato", "plain": "plain server (one pipeline call a request)"}


def plot_sweep(result: dict[str, Any], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")  # files only: no display, no GUI toolkit
    import matplotlib.pyplot as plt

    figure, (speed, latency) = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained")
    for name in ("sfumato", "plain"):
        rows = result.get(name)
        if not isinstance(rows, list):
            continue
        clients = [row["clients"] for row in rows]
        colour = COLOURS[name]
        speed.plot(clients, [row["images_per_s"] for row in rows], "o-", color=colour, label=NAMES[name])
        latency.plot(
            clients, [row["p50_ms"] for row in rows], "o-", color=colour, label=f"{NAMES[name]}, p50"
        )
        latency.plot(
            clients, [row["p95_ms"] for row in rows], "^--", color=colour, label=f"{NAMES[name]}, p95"
        )
    for axes, label in ((speed, "images/s"), (latency, "ms from request to the image's bytes")):
        axes.set_xscale("log", base=2)
        axes.set_xticks(result["sweep"], [str(clients) for clients in result["sweep"]])
        axes.set_xlabel("concurrent closed-loop clients")
        axes.set_ylabel(label)
        axes.grid(True, alpha=0.3)
        axes.legend(fontsize="small")
    speed.set_ylim(bottom=0)
    machine = result.get("machine", {})
    figure.suptitle(
        f"{result['model']} {result['size']}x{result['size']}, {result['duration_s']:.0f} s a point | "
        f"{machine.get('gpu') or machine.get('cpu', '?')} ({machine.get('cpu_cores', '?')} cores)",
        fontsize="medium",
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path
