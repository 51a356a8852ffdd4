"""The compiler's caches kept in the data directory (engine/compile_cache.py), so a restart reads what
the last start compiled; the operator's own folders are never overridden."""

import os
from pathlib import Path

import pytest
import torch
from pydantic import ValidationError
from torch._dynamo.utils import counters

from sfumato.config import Settings
from sfumato.engine.base import RenderJob
from sfumato.engine.compile_cache import VARIABLES, prepare
from sfumato.engine.options import EngineOptions, parse_sizes
from sfumato.engine.pipeline import DiffusersEngine
from sfumato.engine.registry import load_engine
from sfumato.services.startup import engine_options


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Neither variable set, and each put back as it was after the test, whatever the engine set."""
    for variable in VARIABLES:
        monkeypatch.setenv(variable, "")  # records the variable's state before the test
        monkeypatch.delenv(variable)


def test_the_caches_are_pointed_into_a_folder_that_is_created(tmp_path: Path) -> None:
    environ: dict[str, str] = {"PATH": "/bin"}
    chosen = prepare(tmp_path / "compile-cache", environ)
    assert chosen == {
        "TORCHINDUCTOR_CACHE_DIR": str(tmp_path / "compile-cache" / "inductor"),
        "TRITON_CACHE_DIR": str(tmp_path / "compile-cache" / "triton"),
    }
    assert environ == {"PATH": "/bin", **chosen}
    assert all(Path(path).is_dir() for path in chosen.values())


def test_a_folder_the_operator_chose_is_kept(tmp_path: Path) -> None:
    environ = {"TORCHINDUCTOR_CACHE_DIR": "/srv/inductor"}
    assert prepare(tmp_path / "compile-cache", environ) == {
        "TRITON_CACHE_DIR": str(tmp_path / "compile-cache" / "triton")
    }
    assert environ["TORCHINDUCTOR_CACHE_DIR"] == "/srv/inductor"
    assert not (tmp_path / "compile-cache" / "inductor").exists()


def test_the_service_keeps_them_in_its_data_directory(tmp_path: Path) -> None:
    options = engine_options(Settings(data_dir=tmp_path, compile=True, warmup_sizes="1024x1024,832x1216"))
    assert options.compile_cache == tmp_path / "compile-cache"
    assert options.warmup_sizes == ((1024, 1024), (832, 1216))


@pytest.mark.usefixtures("clean_env")
def test_a_compiled_engine_sets_them_before_anything_compiles(tmp_path: Path) -> None:
    engine = load_engine("tiny", EngineOptions(compile=True, compile_cache=tmp_path / "cache"))
    assert engine.compiled  # compiled lazily, at the first call: nothing has compiled yet
    assert os.environ["TORCHINDUCTOR_CACHE_DIR"] == str(tmp_path / "cache" / "inductor")
    assert os.environ["TRITON_CACHE_DIR"] == str(tmp_path / "cache" / "triton")


@pytest.mark.usefixtures("clean_env")
def test_without_compile_nothing_is_set_or_made(tmp_path: Path) -> None:
    load_engine("tiny", EngineOptions(compile=False, compile_cache=tmp_path / "cache"))
    assert not any(variable in os.environ for variable in VARIABLES)
    assert not (tmp_path / "cache").exists()


def test_warm_up_sizes_are_each_made_once_and_twice_compiled(tiny_engine: DiffusersEngine) -> None:
    calls: list[tuple[int, int, int]] = []

    def render(jobs: list[RenderJob], **_: object) -> list[None]:
        calls.extend((job.width, job.height, len(job.seeds)) for job in jobs)
        return [None]

    eager = DiffusersEngine(tiny_engine.model, warmup_sizes=[(64, 64), (64, 128)])
    eager.render = render  # type: ignore[method-assign]
    eager.warmup()
    assert calls == [(64, 64, 1), (64, 128, 1)]
    calls.clear()
    compiled = DiffusersEngine(tiny_engine.model, compiled=True, warmup_sizes=[(64, 64)])
    compiled.render = render  # type: ignore[method-assign]
    compiled.warmup()
    assert calls == [(64, 64, 1), (64, 64, 2)]  # a batch of one, then one that makes the batch dynamic
    native = DiffusersEngine(tiny_engine.model)
    assert native.warmup_sizes == ((tiny_engine.spec.native_size,) * 2,)


def test_warm_up_sizes_are_checked_as_settings() -> None:
    assert parse_sizes(" 512x512 , 768X1024") == ((512, 512), (768, 1024))
    assert parse_sizes("") == ()
    for wrong in ("1024", "1024x", "1024x1024;512x512"):
        with pytest.raises(ValidationError):
            Settings(warmup_sizes=wrong)


@pytest.mark.usefixtures("clean_env")
def test_a_second_compilation_reads_what_the_first_left_in_the_folder(tmp_path: Path) -> None:
    """What a restart does, in one process: the in-memory state dropped, the graph is read from the folder."""
    prepare(tmp_path / "compile-cache")

    def step(x: torch.Tensor) -> torch.Tensor:
        return torch.sin(x) * 3 + 1

    runs = []
    for _ in range(2):
        torch._dynamo.reset()  # a new process knows nothing of the last one's graphs
        counters.clear()
        torch.compile(step)(torch.ones(8))
        runs.append(dict(counters["inductor"]))
    assert runs[0].get("fxgraph_cache_miss") == 1 and not runs[0].get("fxgraph_cache_hit")
    assert runs[1].get("fxgraph_cache_hit") == 1 and not runs[1].get("fxgraph_cache_miss")
    assert any((tmp_path / "compile-cache" / "inductor" / "fxgraph").rglob("*"))
