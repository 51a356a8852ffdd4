"""The engines of a worker's models (docs/models.md, "Several models at once"): the default model is loaded
and warmed up at start; another is loaded when a batch of it comes, and stays while the memory budget
(SFUMATO_MODEL_MEMORY) holds it beside the others; past the budget the least recently used are unloaded
first (domain.residency). A model's size is known once it has loaded; before its first load it is taken to
be as large as the largest one known. Each switch (a load for a batch, after the start) is logged and
counted, as is each unload. Used from the engine thread alone; `resident` may be read from any (the
heartbeat's, a scrape's): it reads a snapshot the engine thread replaces whole.
"""

import inspect
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

from sfumato.domain.residency import evictions
from sfumato.engine.base import Engine

log = logging.getLogger(__name__)

# A factory of engines by model name, or (tests, single-model callers) of the one engine, with no argument.
EngineFactory = Callable[[str], Engine] | Callable[[], Engine]


def by_name(factory: EngineFactory) -> Callable[[str], Engine]:
    try:
        inspect.signature(factory).bind("model")
    except TypeError:
        return lambda _name: factory()  # type: ignore[call-arg]
    return factory  # type: ignore[return-value]


def weight_bytes(engine: Any) -> int:
    """What an engine's networks hold (parameters and buffers); 0 for one that does not say."""
    measure = getattr(engine, "weight_bytes", None)
    return int(measure()) if callable(measure) else 0


def free_memory() -> None:
    """Give back what unloaded models held: Python's references, then CUDA's cached blocks."""
    from sfumato.engine.device import free_memory as release

    release()


class EngineSet:
    def __init__(
        self,
        factory: EngineFactory,
        models: Sequence[str] = (),
        *,
        budget: Callable[[], int | None] = lambda: None,
        size_of: Callable[[Any], int] = weight_bytes,
        on_switch: Callable[[str, float], None] = lambda model, seconds: None,
        on_unload: Callable[[str], None] = lambda model: None,
        release: Callable[[], None] = free_memory,
    ) -> None:
        self.build = by_name(factory)
        self.models: tuple[str, ...] = tuple(models)  # empty: the one engine the factory makes
        self.budget = budget  # bytes, asked when first needed (the device is known once a model loaded)
        self.size_of = size_of
        self.on_switch = on_switch
        self.on_unload = on_unload
        self.release = release
        self._resident: OrderedDict[str, Engine] = OrderedDict()  # least recently used first
        self._sizes: dict[str, int] = {}
        self._limit: int | None = None
        self._shown: tuple[str, ...] = ()  # _resident's names, for other threads

    def start(self) -> Engine:
        """Load and warm up the default model (the first); with no names given, learn the engine's."""
        engine = self._load(self.models[0] if self.models else "")
        if not self.models:
            self.models = (engine.spec.name,)
            self._resident[engine.spec.name] = self._resident.pop("")
            self._sizes[engine.spec.name] = self._sizes.pop("")
            self._shown = tuple(self._resident)
        return engine

    def resident(self) -> list[str]:
        """The models in memory now, least recently used first."""
        return list(self._shown)

    def get(self, model: str) -> Engine:
        """The model's engine, loaded (and others unloaded to make room) if it is not in memory."""
        if model in self._resident:
            self._resident.move_to_end(model)
            self._shown = tuple(self._resident)
            return self._resident[model]
        if model not in self.models:
            raise KeyError(f"this worker does not serve {model!r}")
        started = time.monotonic()
        engine = self._load(model)
        seconds = time.monotonic() - started
        log.info("switched to %s in %.2f s; in memory: %s", model, seconds, ", ".join(self._resident))
        self.on_switch(model, seconds)
        return engine

    def _load(self, model: str) -> Engine:
        expected = self._sizes.get(model, max(self._sizes.values(), default=0))
        self._unload(evictions(self._held(), expected, self._budget()))
        engine = self.build(model)
        engine.warmup()
        self._resident[model] = engine
        self._shown = tuple(self._resident)
        self._sizes[model] = self.size_of(engine)
        # Now its size is known: what no longer fits beside it goes too, never the model just loaded.
        others = [(name, size) for name, size in self._held() if name != model]
        self._unload(evictions(others, self._sizes[model], self._budget()))
        return engine

    def _held(self) -> list[tuple[str, int]]:
        return [(name, self._sizes[name]) for name in self._resident]

    def _budget(self) -> int:
        if self._limit is None:
            given = self.budget()
            self._limit = given if given is not None else 2**63
        return self._limit

    def _unload(self, models: Sequence[str]) -> None:
        for model in models:
            del self._resident[model]
            self._shown = tuple(self._resident)
            log.info("unloaded %s to make room (%d bytes)", model, self._sizes[model])
            self.on_unload(model)
        if models:
            self.release()
