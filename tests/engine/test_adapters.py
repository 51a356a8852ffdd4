"""LoRA adapters in a tiny pipeline (engine/adapters.py): diffusers loads them (either key layout), a batch
runs one set, and the cache keeps the least recently used out within a count and a memory bound, each load,
hit and eviction reported."""

from pathlib import Path

import numpy as np
import pytest

from sfumato.domain.errors import GenerationFailed
from sfumato.engine.adapters import AdapterCache, AdapterEvents, AdapterFile, AdapterLimits, NamedAdapters
from sfumato.engine.base import Rendered, RenderJob
from sfumato.engine.pipeline import DiffusersEngine
from sfumato.engine.registry import load_engine
from tests.loras import kohya_lora, tiny_flux_lora, tiny_lora


class Counted(AdapterEvents):
    def __init__(self) -> None:
        self.loads, self.hits, self.evictions = 0, 0, 0

    def loaded(self, seconds: float) -> None:
        self.loads += 1

    def hit(self) -> None:
        self.hits += 1

    def evicted(self) -> None:
        self.evictions += 1


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("loras")
    made = {
        "a": tiny_lora(1, text=True),
        "b": tiny_lora(2),
        "c": tiny_lora(3),
        "kohya-b": kohya_lora(2),
        "flux": tiny_flux_lora(1),
    }
    for name, data in made.items():
        (folder / f"{name}.safetensors").write_bytes(data)
    return {name: folder / f"{name}.safetensors" for name in made}


def engine_with(limits: AdapterLimits) -> tuple[DiffusersEngine, Counted]:
    engine = load_engine("tiny")
    engine.adapters = AdapterCache(NamedAdapters(engine.pipe), limits)
    counted = Counted()
    engine.listen_adapters(counted)
    return engine, counted


@pytest.fixture(scope="module")
def engine() -> DiffusersEngine:
    return load_engine("tiny")


def use(files: dict[str, Path], name: str, weight: float = 1.0, size: int = 100) -> AdapterFile:
    return AdapterFile(f"lora_{name}", name, weight, files[name], size)


def image(engine: DiffusersEngine, *adapters: AdapterFile, prompt: str = "a cat") -> np.ndarray:
    (outcome,) = engine.render([RenderJob(prompt, None, 256, 256, 2, 0.0, [7], adapters=adapters)])
    assert isinstance(outcome, Rendered), outcome
    return np.asarray(outcome.images[0], dtype=np.int16)


def loaded(engine: DiffusersEngine) -> set[str]:
    return {name for names in engine.pipe.get_list_adapters().values() for name in names}


def test_a_lora_in_kohyas_layout_makes_the_image_the_diffusers_layout_makes(
    engine: DiffusersEngine, files: dict[str, Path]
) -> None:
    plain = image(engine)
    diffusers_layout = image(engine, use(files, "b"))
    assert np.abs(diffusers_layout - plain).mean() > 5
    assert np.array_equal(image(engine, use(files, "kohya-b")), diffusers_layout)


def test_the_weight_scales_the_adapter(engine: DiffusersEngine, files: dict[str, Path]) -> None:
    plain, full = image(engine), image(engine, use(files, "a", 1.0))
    half, negative = image(engine, use(files, "a", 0.5)), image(engine, use(files, "a", -1.0))
    assert np.array_equal(image(engine, use(files, "a", 0.0)), plain)
    assert 0 < np.abs(half - plain).mean() < np.abs(full - plain).mean()
    assert np.abs(negative - full).mean() > 5


def test_jobs_of_one_call_share_their_adapters(engine: DiffusersEngine, files: dict[str, Path]) -> None:
    inked = RenderJob("x", None, 256, 256, 2, 0.0, [1], adapters=(use(files, "a"),))
    plain = RenderJob("x", None, 256, 256, 2, 0.0, [2])
    with pytest.raises(ValueError, match="LoRA"):
        engine.render([inked, plain])


def test_the_cache_lets_the_least_recently_used_go_past_its_count(files: dict[str, Path]) -> None:
    engine, counted = engine_with(AdapterLimits(count=2, memory=10**9))
    image(engine, use(files, "a"))
    image(engine, use(files, "b"))
    image(engine, use(files, "a"))  # a hit: b is now the least recently used
    image(engine, use(files, "c"))
    assert (counted.loads, counted.hits, counted.evictions) == (3, 1, 1)
    assert engine.adapters.held() == ["lora_a", "lora_c"] and loaded(engine) == {"lora_a", "lora_c"}


def test_the_cache_stays_within_its_memory_bound(files: dict[str, Path]) -> None:
    engine, counted = engine_with(AdapterLimits(count=10, memory=250))
    for name in ("a", "b", "c"):  # 100 bytes each, as the cache counts them: the third needs room
        image(engine, use(files, name, size=100))
    assert (counted.loads, counted.evictions) == (3, 1) and engine.adapters.held() == ["lora_b", "lora_c"]
    image(engine, use(files, "b", size=100), use(files, "c", size=100))  # both wanted: both kept
    assert counted.evictions == 1


def test_a_hit_reads_no_file(tmp_path: Path, files: dict[str, Path]) -> None:
    engine, counted = engine_with(AdapterLimits())
    copy = tmp_path / "b.safetensors"
    copy.write_bytes(files["b"].read_bytes())
    moved = AdapterFile("lora_b", "b", 1.0, copy, 100)
    first = image(engine, moved)
    copy.unlink()
    assert np.array_equal(image(engine, moved), first) and counted.hits == 1


def test_a_batch_without_adapters_runs_none_of_those_loaded(files: dict[str, Path]) -> None:
    engine, _ = engine_with(AdapterLimits())
    plain = image(engine)
    image(engine, use(files, "a"), use(files, "b"))
    assert np.array_equal(image(engine), plain) and len(engine.adapters.held()) == 2


def test_a_lora_of_another_family_fails_its_batch_saying_so_and_leaves_nothing(
    files: dict[str, Path],
) -> None:
    engine, counted = engine_with(AdapterLimits())
    plain = image(engine)
    with pytest.raises(GenerationFailed) as failed:
        image(engine, use(files, "flux"))
    assert "flux.safetensors" not in failed.value.message and str(files["flux"]) not in failed.value.message
    assert engine.adapters.held() == [] and counted.loads == 0
    assert np.array_equal(image(engine), plain)
