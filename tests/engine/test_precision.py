"""SFUMATO_PRECISION: bf16 by default; fp8 only where FP8 tensor cores and torchao are, refused elsewhere at
start in one line (engine/precision.py)."""

import importlib.util
from pathlib import Path

import pytest
import torch
from pydantic import ValidationError
from typer.testing import CliRunner

from sfumato.cli import app
from sfumato.config import Settings
from sfumato.domain.errors import PrecisionUnavailable
from sfumato.engine import precision
from sfumato.engine.options import EngineOptions
from sfumato.engine.registry import check_available, load_engine

CUDA = torch.device("cuda")


def test_the_setting_takes_bf16_or_fp8_only() -> None:
    assert Settings().precision == "bf16"
    assert Settings(precision="fp8").precision == "fp8"
    for wrong in ("fp16", "FP8", "int8"):
        with pytest.raises(ValidationError):
            Settings(precision=wrong)  # type: ignore[arg-type]


def test_fp8_on_a_cpu_is_refused_in_one_line_before_loading_anything() -> None:
    with pytest.raises(PrecisionUnavailable) as refused:
        check_available("tiny", EngineOptions(device="cpu", precision="fp8"))
    assert "compute capability 8.9" in refused.value.message and "cpu" in refused.value.message
    assert "\n" not in refused.value.message
    with pytest.raises(PrecisionUnavailable):
        load_engine("tiny", EngineOptions(device="cpu", precision="fp8"))


def test_bf16_asks_nothing_of_the_device() -> None:
    precision.check("bf16", torch.device("cpu"), torch.float32)


def test_serve_with_fp8_on_a_cpu_stops_in_one_line(tmp_path: Path) -> None:
    env = {"SFUMATO_DATA_DIR": str(tmp_path), "SFUMATO_PRECISION": "fp8", "SFUMATO_DEVICE": "cpu"}
    result = CliRunner().invoke(app, ["serve", "--model", "tiny"], env=env)
    assert result.exit_code == 1
    (line,) = result.output.strip().splitlines()
    assert (
        line.startswith("sfumato: SFUMATO_PRECISION=fp8 needs a CUDA GPU")
        and "Traceback" not in result.output
    )


def fake_gpu(monkeypatch: pytest.MonkeyPatch, capability: tuple[int, int], torchao: bool) -> None:
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: capability)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda device=None: "Test GPU")
    found = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *rest: (found("json") if torchao else None) if name == "torchao" else found(name, *rest),
    )


def test_fp8_wants_compute_capability_8_9(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_gpu(monkeypatch, (8, 0), torchao=True)
    with pytest.raises(PrecisionUnavailable, match=r"Test GPU is 8\.0: use bf16"):
        precision.check("fp8", CUDA, torch.bfloat16)
    fake_gpu(monkeypatch, (8, 9), torchao=True)
    precision.check("fp8", CUDA, torch.bfloat16)
    fake_gpu(monkeypatch, (9, 0), torchao=True)
    precision.check("fp8", CUDA, torch.bfloat16)


def test_fp8_wants_bf16_beside_it_and_torchao(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_gpu(monkeypatch, (9, 0), torchao=True)
    with pytest.raises(PrecisionUnavailable, match="not float16: set SFUMATO_DTYPE"):
        precision.check("fp8", CUDA, torch.float16)
    fake_gpu(monkeypatch, (9, 0), torchao=False)
    with pytest.raises(PrecisionUnavailable, match=r"needs torchao: pip install 'sfumato\[fp8\]'"):
        precision.check("fp8", CUDA, torch.bfloat16)


def test_fp8_takes_the_linear_layers_its_matmul_accepts() -> None:
    assert precision.fits_fp8(torch.nn.Linear(640, 1280))
    assert not precision.fits_fp8(torch.nn.Linear(640, 1000 + 4))  # 1004 is not a multiple of 16
    assert not precision.fits_fp8(torch.nn.Linear(8, 32))
    assert not precision.fits_fp8(torch.nn.Conv2d(16, 16, 3))


def test_bf16_leaves_the_unet_as_it_is() -> None:
    class Pipe:
        unet = torch.nn.Linear(16, 16)

    before = Pipe.unet.weight.clone()
    precision.apply(Pipe(), "bf16")
    assert type(Pipe.unet.weight) is torch.nn.Parameter and torch.equal(Pipe.unet.weight, before)
