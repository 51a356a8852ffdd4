"""A worker's engines (services/worker/engines.py): the default loaded at start, the others when a batch of
theirs comes, and the least recently used unloaded past the memory budget (here a budget and sizes given
by the test, on the real tiny engines of each family)."""

from collections.abc import Callable

import pytest

from sfumato.engine.base import Engine
from sfumato.engine.pipeline import DiffusersEngine
from sfumato.services.worker.engines import EngineSet, weight_bytes

GiB = 2**30


@pytest.fixture
def engines(
    tiny_engine: DiffusersEngine, tiny_flux_engine: DiffusersEngine, tiny_sd3_engine: DiffusersEngine
) -> dict[str, DiffusersEngine]:
    return {"tiny": tiny_engine, "tiny-flux": tiny_flux_engine, "tiny-sd3": tiny_sd3_engine}


class Cold:
    """A tiny engine whose warm-up (a call at its native 1024x1024) the test skips."""

    def __init__(self, engine: DiffusersEngine) -> None:
        self.engine, self.spec = engine, engine.spec

    def warmup(self) -> None:
        pass


class Record:
    def __init__(self, engines: dict[str, DiffusersEngine]) -> None:
        self.engines = {name: Cold(engine) for name, engine in engines.items()}
        self.built: list[str] = []
        self.switched: list[str] = []
        self.unloaded: list[str] = []
        self.released = 0

    def build(self, name: str) -> Engine:
        self.built.append(name)
        return self.engines[name]  # type: ignore[return-value]

    def release(self) -> None:
        self.released += 1

    def engine_set(self, budget: int, size_of: Callable[[object], int] = lambda _engine: GiB) -> EngineSet:
        return EngineSet(
            self.build,
            ["tiny", "tiny-flux", "tiny-sd3"],
            budget=lambda: budget,
            size_of=size_of,
            on_switch=lambda model, _seconds: self.switched.append(model),
            on_unload=self.unloaded.append,
            release=self.release,
        )


def test_the_default_loads_at_start_and_the_others_when_asked(engines: dict[str, DiffusersEngine]) -> None:
    record = Record(engines)
    models = record.engine_set(budget=3 * GiB)
    assert models.start() is record.engines["tiny"] and models.resident() == ["tiny"]
    assert (
        models.get("tiny-sd3") is record.engines["tiny-sd3"] and models.get("tiny") is record.engines["tiny"]
    )
    assert record.built == ["tiny", "tiny-sd3"] and record.switched == ["tiny-sd3"]  # the start is no switch
    assert models.resident() == ["tiny-sd3", "tiny"]  # least recently used first


def test_past_the_budget_the_least_recently_used_is_unloaded(engines: dict[str, DiffusersEngine]) -> None:
    record = Record(engines)
    models = record.engine_set(budget=2 * GiB)  # two of the three fit
    models.start()
    models.get("tiny-flux")
    models.get("tiny")  # tiny is now the most recent: tiny-flux the least
    models.get("tiny-sd3")
    assert record.unloaded == ["tiny-flux"] and models.resident() == ["tiny", "tiny-sd3"]
    models.get("tiny-flux")  # back again: tiny is the least recent now
    assert record.unloaded == ["tiny-flux", "tiny"] and models.resident() == ["tiny-sd3", "tiny-flux"]
    assert record.built == ["tiny", "tiny-flux", "tiny-sd3", "tiny-flux"] and record.released == 2


def test_a_model_larger_than_expected_makes_room_once_its_size_is_known(
    engines: dict[str, DiffusersEngine],
) -> None:
    sizes = {"tiny": GiB, "tiny-flux": GiB, "tiny-sd3": 3 * GiB}
    record = Record(engines)
    models = record.engine_set(budget=3 * GiB, size_of=lambda engine: sizes[engine.spec.name])  # type: ignore[attr-defined]
    models.start()
    models.get("tiny-flux")
    models.get("tiny-sd3")  # expected as large as the largest known (1 GiB): it fits, then it is not
    assert models.resident() == ["tiny-sd3"] and record.unloaded == ["tiny", "tiny-flux"]


def test_a_model_it_does_not_serve_is_refused(engines: dict[str, DiffusersEngine]) -> None:
    models = Record(engines).engine_set(budget=3 * GiB)
    models.start()
    with pytest.raises(KeyError, match="does not serve 'sdxl-turbo'"):
        models.get("sdxl-turbo")


def test_without_names_it_serves_the_one_engine_its_factory_makes(tiny_flux_engine: DiffusersEngine) -> None:
    cold = Cold(tiny_flux_engine)
    models = EngineSet(lambda: cold)  # type: ignore[arg-type,return-value]
    assert models.start() is cold
    assert models.models == ("tiny-flux",) and models.get("tiny-flux") is cold


def test_an_engine_measures_what_its_networks_hold(tiny_engine: DiffusersEngine) -> None:
    parameters = sum(p.numel() * p.element_size() for p in tiny_engine.pipe.unet.parameters())
    assert weight_bytes(tiny_engine) > parameters > 0
    assert weight_bytes(object()) == 0
