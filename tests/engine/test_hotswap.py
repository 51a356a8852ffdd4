"""LoRA adapters hot-swapped into slots (engine/hotswap.py), what a compiled model runs: the slots make the
images adapters loaded by name make, a slot no adapter uses adds nothing, and once compiled and warmed up,
swaps between adapters compile nothing more."""

from pathlib import Path

import numpy as np
import pytest

from sfumato.domain.errors import GenerationFailed
from sfumato.engine.adapters import AdapterCache, AdapterEvents, AdapterFile, AdapterLimits
from sfumato.engine.base import Rendered, RenderJob
from sfumato.engine.hotswap import HotswapSlots, denoiser_name
from sfumato.engine.options import EngineOptions
from sfumato.engine.pipeline import DiffusersEngine
from sfumato.engine.registry import load_engine
from tests.loras import tiny_lora


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("loras")
    for name, data in {"a": tiny_lora(1, text=True), "b": tiny_lora(2), "c": tiny_lora(3)}.items():
        (folder / f"{name}.safetensors").write_bytes(data)
    return {name: folder / f"{name}.safetensors" for name in "abc"}


def use(files: dict[str, Path], name: str, weight: float = 1.0) -> AdapterFile:
    return AdapterFile(f"lora_{name}", name, weight, files[name], 1000)


def image(engine: DiffusersEngine, *adapters: AdapterFile) -> np.ndarray:
    (outcome,) = engine.render([RenderJob("a cat", None, 256, 256, 2, 0.0, [7], adapters=adapters)])
    assert isinstance(outcome, Rendered), outcome
    return np.asarray(outcome.images[0], dtype=np.int16)


def slotted(slots: int) -> DiffusersEngine:
    engine = load_engine("tiny")
    limits = AdapterLimits(slots=slots, rank=8)  # the tests' LoRAs are rank 4: padded to 8
    place = HotswapSlots(engine.pipe, denoiser_name(engine.pipe, engine.model.denoiser), limits)
    engine.adapters = AdapterCache(place, limits)
    return engine


@pytest.fixture(scope="module")
def named() -> DiffusersEngine:
    return load_engine("tiny")


def test_slots_make_the_images_adapters_loaded_by_name_make(
    named: DiffusersEngine, files: dict[str, Path]
) -> None:
    engine = slotted(2)
    # Two adapters add their products in the order of their slots (b's first): the same order by name, since
    # a sum's rounding depends on it.
    for adapters in (
        (),
        (use(files, "a"),),  # a text encoder's part too, loaded by name beside the slots
        (use(files, "b", 0.7),),
        (use(files, "b"), use(files, "c")),
        (use(files, "c", 0.0),),
        (),
    ):
        assert np.array_equal(image(engine, *adapters), image(named, *adapters)), [a.name for a in adapters]


def test_more_adapters_than_slots_fail_the_batch_saying_so(files: dict[str, Path]) -> None:
    engine = slotted(1)
    with pytest.raises(GenerationFailed, match="at most 1 LoRA adapter"):
        image(engine, use(files, "b"), use(files, "c"))


class Recompiles(AdapterEvents):
    def __init__(self) -> None:
        self.graphs = 0

    def recompiled(self, graphs: int) -> None:
        self.graphs += graphs


def test_swaps_in_a_compiled_model_compile_nothing_after_the_warm_up(
    named: DiffusersEngine, files: dict[str, Path]
) -> None:
    """On a CPU: a GPU run of the same is bench/gpu.sh's (docs/benchmarks.md)."""
    options = EngineOptions(compile=True, warmup_sizes=((256, 256),), adapters=AdapterLimits(slots=2, rank=8))
    engine = load_engine("tiny", options)
    counted = Recompiles()
    engine.listen_adapters(counted)
    engine.warmup()  # compiles, as the service's start does
    cycle = [
        (use(files, "a"),),
        (use(files, "b", 0.5),),
        (),
        (use(files, "a", 0.3), use(files, "c")),
        (use(files, "c", -1.0),),
    ]
    for index in range(20):
        adapters = cycle[index % len(cycle)]
        made = image(engine, *adapters)
        # Compiled kernels round otherwise: through two steps of a random model, a level or so on average.
        assert np.abs(made - image(named, *adapters)).mean() < 2, [a.name for a in adapters]
    assert counted.graphs == 0
