"""The benchmarks run as documented and write what they measured, with the machine's description."""

import json
from pathlib import Path

import pytest

from bench import engine, scale, serve
from bench.common import percentile


def test_percentiles_are_nearest_rank_on_sorted_values() -> None:
    values = [5.0, 1.0, 4.0, 2.0, 3.0]
    assert (percentile(values, 0.0), percentile(values, 0.5), percentile(values, 1.0)) == (1.0, 3.0, 5.0)
    assert percentile([7.0], 0.95) == 7.0


def test_the_engine_benchmark_writes_a_row_per_batch_size(tmp_path: Path) -> None:
    out = tmp_path / "engine.json"
    engine.main(
        ["--model", "tiny", "--size", "256", "--batches", "1,2", "--repeats", "2", "--json", str(out)]
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


@pytest.mark.e2e
def test_the_end_to_end_benchmark_compares_sfumato_with_the_plain_server(tmp_path: Path) -> None:
    out = tmp_path / "serve.json"
    serve.main(["--size", "256", "--clients", "2", "--duration", "3", "--warmup", "1", "--json", str(out)])
    result = json.loads(out.read_text())
    for name in ("sfumato", "plain"):
        assert result[name]["images"] > 0 and result[name]["errors"] == 0, result[name]
        assert result[name]["p50_ms"] <= result[name]["p95_ms"]
    assert result["speedup"] == pytest.approx(
        result["sfumato"]["images_per_s"] / result["plain"]["images_per_s"], abs=0.01
    )


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
    assert result["table"].splitlines()[-1].startswith("worst growth 300→600: ")
