"""The benchmarks run as documented and write what they measured, with the machine's description."""

import argparse
import asyncio
import gc
import json
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from PIL import Image

from bench import credentials, engine, fairness, png, polls, scale, serve
from bench.common import percentile
from bench.plot import plot_sweep

ROOT = Path(__file__).resolve().parents[2]


def test_percentiles_are_nearest_rank_on_sorted_values() -> None:
    values = [5.0, 1.0, 4.0, 2.0, 3.0]
    assert (percentile(values, 0.0), percentile(values, 0.5), percentile(values, 1.0)) == (1.0, 3.0, 5.0)
    assert percentile([7.0], 0.95) == 7.0


def test_the_engine_benchmark_writes_a_row_per_batch_size(tmp_path: Path) -> None:
    out = tmp_path / "engine.json"
    engine.main(
        ["--model", "tiny", "--size", "256", "--batch-sweep", "1,2", "--repeats", "2", "--json", str(out)]
    )
    result = json.loads(out.read_text())
    assert (result["benchmark"], result["model"], result["device"], result["dtype"]) == (
        "engine",
        "tiny",
        "cpu",
        "float32",
    )
    assert [row["batch"] for row in result["rows"]] == [1, 2]
    for row in result["rows"]:
        assert row["images_per_s"] == pytest.approx(row["batch"] / row["batch_p50_s"], rel=0.01)
    assert result["machine"]["cpu_cores"] >= 1 and result["machine"]["torch"]
    assert all(row["peak_mib"] is None for row in result["rows"])  # CUDA's figure: none on a CPU
    ((start),) = result["starts"]
    assert start["compile"] is False and start["load_s"] > 0 and start["warmup_s"] > 0


def test_the_engine_benchmark_with_lora_times_each_case_and_the_load_alone(tmp_path: Path) -> None:
    out = tmp_path / "lora.json"
    engine.main(
        ["--model", "tiny", "--size", "256", "--lora", "--repeats", "2", "--mix", "2", "--json", str(out)]
    )
    result = json.loads(out.read_text())
    assert (result["benchmark"], result["model"], result["lora_rank"], result["mix_jobs"]) == (
        "engine-lora",
        "tiny",
        4,
        2,
    )
    assert list(result["rows"]) == ["none", "cached", "swap", "cold", "mixed", "one_set"]
    assert all(row["p50_ms"] > 0 and row["p95_ms"] >= row["p50_ms"] for row in result["rows"].values())
    assert 0 < result["rows"]["cold"]["load_ms"] < result["rows"]["cold"]["p50_ms"]


def test_the_credentials_benchmark_writes_signed_against_unsigned_per_size_and_format(tmp_path: Path) -> None:
    out = tmp_path / "credentials.json"
    credentials.main(["--images", "2", "--sizes", "256", "--formats", "png,webp", "--json", str(out)])
    result = json.loads(out.read_text())
    assert (result["benchmark"], result["images"], result["thumbnail"]) == ("credentials", 2, False)
    assert [(row["size"], row["format"]) for row in result["rows"]] == [(256, "png"), (256, "webp")]
    for row in result["rows"]:
        assert 1000 < row["bytes_added"] < 10_000 and row["bytes_unsigned"] > 0  # a manifest, no thumbnail
        assert row["sign_ms_p50"] > 0 and row["encode_ms_p50"] > 0


@pytest.mark.e2e
def test_the_end_to_end_benchmark_compares_sfumato_with_the_plain_server(tmp_path: Path) -> None:
    out = tmp_path / "serve.json"
    serve.main(["--size", "256", "--clients", "2", "--duration", "3", "--warmup", "1", "--json", str(out)])
    result = json.loads(out.read_text())
    for name in ("sfumato", "plain"):
        # Every request answered: how many finished inside the 3 s window depends on the machine's speed.
        assert result[name]["answered"] > 0 and result[name]["errors"] == 0, result[name]
        assert result[name]["images"] <= result[name]["answered"]
    plain = result["plain"]["images_per_s"]
    if plain:  # none in the window on a slow machine: no ratio to draw
        assert result["speedup"] == pytest.approx(result["sfumato"]["images_per_s"] / plain, abs=0.01)
    else:
        assert result["speedup"] is None


def test_the_models_benchmark_loads_one_model_then_both_in_turn_and_counts_switches(tmp_path: Path) -> None:
    out = tmp_path / "models.json"
    argv = ["--models", "tiny,tiny-flux", "--size", "256", "--clients", "2", "--duration", "3"]
    serve.main([*argv, "--warmup", "1", "--json", str(out)])
    rows = json.loads(out.read_text())["rows"]
    assert [row["models"] for row in rows] == [["tiny"], ["tiny", "tiny-flux"]]
    assert all(row["answered"] > 0 and row["errors"] == 0 for row in rows), rows
    # tiny is loaded at the start; tiny-flux's first job loads it: one switch, in the mixed row alone.
    assert [row["switches"] for row in rows] == [0, 1]


@pytest.mark.e2e
def test_the_fairness_benchmark_times_a_late_keys_waits_and_counts_three_plans_shares(tmp_path: Path) -> None:
    out = tmp_path / "fairness.json"
    fairness.main(["--flood", "16", "--late", "2", "--interval", "0.2", "--each", "12", "--json", str(out)])
    result = json.loads(out.read_text())
    burst = result["burst"]
    assert (burst["flood"], burst["late"]) == (16, 2) and burst["batches"] >= 2
    assert 0 <= burst["wait_p50_s"] <= burst["wait_p95_s"] <= burst["wait_max_s"]
    assert burst["p95_in_batches"] == pytest.approx(burst["wait_p95_s"] / burst["batch_s"], abs=0.01)
    shares = result["shares"]
    assert [row["plan"] for row in shares["keys"]] == ["starter", "professional", "enterprise"]
    assert [row["expected"] for row in shares["keys"]] == [0.1429, 0.2857, 0.5714]  # weights 1, 2, 4
    assert sum(row["jobs"] for row in shares["keys"]) == shares["window_jobs"] > 0
    assert "target under 2" in result["table"] and "target under 10%" in result["table"]


@pytest.mark.e2e
def test_the_polls_benchmark_polls_a_finished_job_submits_and_asks_the_health_route(tmp_path: Path) -> None:
    out = tmp_path / "polls.json"
    polls.main(["--connections", "2,3", "--duration", "1", "--warmup", "1", "--json", str(out)])
    rows = json.loads(out.read_text())["rows"]
    assert [(row["route"], row["connections"]) for row in rows] == [
        ("GET /v1/jobs/{id}", 2),
        ("GET /v1/jobs/{id}", 3),
        ("GET /healthz", 2),
        ("GET /healthz", 3),
        ("POST /v1/jobs", 2),
        ("POST /v1/jobs", 3),
    ]
    for row in rows:  # wrk's one-second rows: every answer a 2xx, the rate its count over the second
        assert row["requests"] > 0 and row["non_2xx"] == 0 and row["socket_errors"] == 0, row
        assert row["per_s"] == pytest.approx(row["requests"], rel=0.2) and row["p50_ms"] <= row["p99_ms"]


def test_wrks_report_is_read_into_rates_and_milliseconds() -> None:
    # wrk 4.1's report (Debian's), as `wrk --latency` prints it.
    report = """Running 20s test @ http://127.0.0.1:8000/healthz
  1 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.47ms  312.18us  11.20ms   89.12%
    Req/Sec     5.45k   210.33     5.80k    72.00%
  Latency Distribution
     50%    1.41ms
     75%    1.52ms
     90%    1.71ms
     99%    2.50s
  108512 requests in 20.00s, 15.21MB read
  Non-2xx or 3xx responses: 7
Requests/sec:   5425.11
Transfer/sec:    778.65KB
"""
    row = polls.parse_wrk(report)
    assert row == {
        "requests": 108512,
        "per_s": 5425.1,
        "p50_ms": 1.41,
        "p99_ms": 2500.0,
        "non_2xx": 7,
        "socket_errors": 0,
    }


def test_the_engine_benchmark_measures_image_jobs_beside_text_jobs(tmp_path: Path) -> None:
    out = tmp_path / "engine.json"
    arguments = ["--model", "tiny", "--size", "256", "--batches", "2", "--repeats", "1"]
    engine.main([*arguments, "--modes", "text,inpaint", "--json", str(out)])
    rows = json.loads(out.read_text())["rows"]
    assert [(row["mode"], row["batch"]) for row in rows] == [("text", 2), ("inpaint", 2)]
    assert all(row["images_per_s"] > 0 for row in rows)


def test_the_scale_benchmark_measures_every_route_and_sweeps_its_backlog_to_nothing(tmp_path: Path) -> None:
    out = tmp_path / "scale.json"
    scale.main(["--sizes", "300,600", "--requests", "2", "--json", str(out)])
    result = json.loads(out.read_text())
    first, last = result["runs"]
    assert (first["jobs"], last["jobs"]) == (300, 600)
    assert set(last["routes"]) == set(first["routes"]) and "GET /v1/jobs?after=<half-way>" in last["routes"]
    sweep = last["sweep"]
    assert (sweep["backlog"], sweep["images_deleted"], sweep["jobs_deleted"]) == (60, 60, 60)
    assert set(sweep["left"].values()) == {0}
    quiet = last["routes"]["POST /v1/jobs"]["p50_ms"]
    assert sweep["submission_delay_ms"] == pytest.approx(sweep["submission_max_ms"] - quiet, abs=0.11)
    assert 1 <= sweep["rows_per_step_p50"] <= 200
    assert sweep["submission_p50_ms"] <= sweep["submission_p99_ms"] <= sweep["submission_max_ms"]
    assert 0 <= sweep["submissions_delayed_over_50_ms"] <= sweep["submissions"]
    assert sweep["step_p99_ms"] <= sweep["longest_step_ms"]
    assert 0 <= sweep["steps_over_50_ms"] <= sweep["steps"]
    assert gc.get_freeze_count() == 0  # the sweep's freeze, as the server's, is undone for what follows
    assert all(run["sweep"]["wal_mib"] > 0 for run in result["runs"])  # SQLite's WAL, its size measured
    assert result["table"].splitlines()[-1].startswith("worst growth 300→600: ")
    claim = last["routes"]["claim (N queued, N/100 keys)"]  # a worker's claim from a queue as long
    assert (claim["queued"], claim["keys"]) == (600, 6) and claim["p50_ms"] <= claim["p95_ms"]


class Quick(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *_: object) -> None:
        pass


def test_a_sweep_loads_one_server_at_each_client_count_in_turn(tmp_path: Path) -> None:
    http = ThreadingHTTPServer(("127.0.0.1", 0), Quick)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    log = tmp_path / "worker.log"
    log.write_text("generating 5 images for an earlier run\n")

    async def request(client: httpx.AsyncClient, i: int) -> int:
        with log.open("a") as file:  # as the worker logs each pipeline call
            file.write(f"generating {1 + i % 2} images for request {i}\n")
        return len((await client.get("/")).content)

    server = SimpleNamespace(url=f"http://127.0.0.1:{http.server_address[1]}")
    args = argparse.Namespace(sweep=[1, 3], duration=0.3, warmup=0.1)
    try:
        rows = serve.sweep(request, server, {}, args, log)  # type: ignore[arg-type]
    finally:
        http.shutdown()
    assert [row["clients"] for row in rows] == [1, 3]
    for row in rows:
        assert row["answered"] > 0 and row["errors"] == 0 and row["images"] <= row["answered"]
        assert (
            row["pipeline_calls"] >= row["answered"] and 1 <= row["images_per_call"] <= 2
        )  # its own calls only
    assert sum(row["pipeline_calls"] for row in rows) == len(serve.calls_logged(log)) - 1


def test_a_sweep_run_keeps_a_row_per_client_count_and_draws_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def measured(speed: float) -> Any:
        return lambda args, folder: [
            {
                "clients": c,
                "images": 9,
                "answered": 9,
                "images_per_s": speed * c,
                "p50_ms": 10.0,
                "p95_ms": 12.0,
                "errors": 0,
            }
            for c in args.sweep
        ]

    monkeypatch.setattr(serve, "bench_sfumato", measured(3.0))
    monkeypatch.setattr(serve, "bench_plain", measured(2.0))
    out, drawn = tmp_path / "sweep.json", tmp_path / "sweep.png"
    serve.main(["--sweep", "1,2,4", "--json", str(out), "--plot", str(drawn)])
    result = json.loads(out.read_text())
    assert result["sweep"] == result["clients"] == [1, 2, 4]
    assert [row["images_per_s"] for row in result["sfumato"]] == [3.0, 6.0, 12.0]
    assert result["speedup"] == [1.5, 1.5, 1.5]
    assert Image.open(drawn).format == "PNG"


def test_a_sweep_that_made_no_image_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    failing = [
        {"clients": 1, "images": 0, "answered": 0, "images_per_s": 0.0, "p50_ms": 0.0, "p95_ms": 0.0}
        | {"errors": 4}
        | {"first_errors": ["RuntimeError: imagine answered 400"]}
    ]
    monkeypatch.setattr(serve, "bench_sfumato", lambda args, folder: failing)
    with pytest.raises(SystemExit, match=r"sfumato made no image at 1 clients: .*answered 400"):
        serve.main(["--only", "sfumato", "--clients", "1", "--json", str(tmp_path / "out.json")])


def test_an_answer_slower_than_the_window_is_counted_answered_not_failed() -> None:
    async def slow(http: httpx.AsyncClient, i: int) -> int:
        await asyncio.sleep(0.2)  # longer than the 0.05 s window: it ends after the window closes
        return 1

    row = asyncio.run(serve.load(slow, "http://127.0.0.1:9", {}, clients=1, duration=0.05, warmup=0))
    assert (row["images"], row["answered"], row["errors"]) == (0, 1, 0)


def test_a_sweep_is_drawn_as_throughput_and_latency_against_clients(tmp_path: Path) -> None:
    def rows(speed: float) -> list[dict[str, float]]:
        return [
            {"clients": c, "images_per_s": speed * c**0.5, "p50_ms": 100.0 * c, "p95_ms": 130.0 * c}
            for c in (1, 2, 4)
        ]

    result = {"model": "tiny", "size": 256, "duration_s": 30, "sweep": [1, 2, 4]}
    result |= {"sfumato": rows(10), "plain": rows(5), "machine": {"cpu": "Test CPU", "cpu_cores": 2}}
    path = plot_sweep(result, tmp_path / "deep" / "sweep.png")
    with Image.open(path) as image:
        assert image.format == "PNG" and image.size == (1100, 420)
        assert len(image.convert("RGB").getcolors(1 << 16) or []) > 20  # lines and text, not a blank page


def test_the_png_benchmark_times_each_level_on_photograph_like_pictures(tmp_path: Path) -> None:
    out = tmp_path / "png.json"
    png.main(["--images", "2", "--size", "128", "--levels", "0,9", "--json", str(out)])
    stored, smallest = json.loads(out.read_text())["rows"]
    assert (stored["level"], smallest["level"]) == (0, 9)
    assert smallest["bytes_mean"] < stored["bytes_mean"] * 0.9  # smooth fields compress; pure noise would not
    assert all(row["ms_p50"] > 0 for row in (stored, smallest))


@pytest.mark.parametrize("script", ["bench/gpu.sh", "bench/wheels.sh"])
def test_the_gpu_scripts_parse(script: str) -> None:
    subprocess.run(["bash", "-n", str(ROOT / script)], check=True)


def test_the_gpu_script_refuses_what_it_does_not_know(tmp_path: Path) -> None:
    ran = subprocess.run(["bash", str(ROOT / "bench/gpu.sh"), "--fast"], capture_output=True, text=True)
    assert ran.returncode == 2 and ran.stderr.startswith("usage: bash bench/gpu.sh")


@pytest.mark.parametrize(("model", "family"), [("tiny-flux", "flux"), ("tiny-sd3", "sd3")])
def test_the_engine_benchmark_measures_each_familys_tiny_model(
    tmp_path: Path, model: str, family: str
) -> None:
    out = tmp_path / "engine.json"
    engine.main(["--model", model, "--size", "256", "--batches", "1", "--repeats", "1", "--json", str(out)])
    result = json.loads(out.read_text())
    assert (result["model"], result["family"], result["dtype"]) == (model, family, "float32")
    (row,) = result["rows"]
    assert row["images_per_s"] > 0 and row["cpu_ms_per_image"] > 0


def test_flux_random_is_refused_on_a_cpu_before_it_is_built() -> None:
    with pytest.raises(SystemExit, match="flux-random is for a GPU"):
        engine.main(["--model", "flux-random", "--device", "cpu"])
