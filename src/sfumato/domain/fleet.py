"""The fleet (docs/api.md §15): the workers alive now, told by their heartbeats (each worker's name, the
models it serves, which of them it holds in memory, when it was last seen), and what the fleet serves as a
whole. Pure: db.workers keeps the heartbeats, services.fleet reads them."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

LIVE_BEATS = 3  # a worker is alive while its last heartbeat is younger than this many intervals
FORGOTTEN_AFTER = timedelta(hours=1)  # a heartbeat older than this is swept (db.workers)


@dataclass(frozen=True)
class Heartbeat:
    """What a worker says of itself every few seconds."""

    name: str
    models: list[str]  # the models it serves, its default first
    loaded: list[str]  # those it holds in memory now
    started_at: datetime
    seen_at: datetime


@dataclass(frozen=True)
class FleetModel:
    """A model as the fleet serves it now."""

    name: str
    workers: int  # live workers that serve it
    loaded: bool  # whether one of them holds it in memory


def alive_since(now: datetime, interval_seconds: float) -> datetime:
    """The oldest heartbeat of a worker still alive: one that missed fewer than LIVE_BEATS beats."""
    return now - timedelta(seconds=interval_seconds * LIVE_BEATS)


def fleet_models(beats: Iterable[Heartbeat], first: Sequence[str] = ()) -> list[FleetModel]:
    """Every model a live worker serves, with how many serve it and whether one holds it in memory. The
    models in `first` (an API process's own: requests without a model go to the first) lead, in their
    order, listed even while no worker serves them; the others follow by name."""
    workers: dict[str, int] = {}
    loaded: set[str] = set()
    for beat in beats:
        for model in dict.fromkeys(beat.models):
            workers[model] = workers.get(model, 0) + 1
        loaded.update(model for model in beat.loaded if model in beat.models)
    names = [*dict.fromkeys(first), *sorted(workers.keys() - set(first))]
    return [FleetModel(name, workers.get(name, 0), name in loaded) for name in names]


def waiting_notice(model: str) -> str:
    """What a queued job says while no live worker serves its model."""
    return f"no worker of model {model} is running now: the job waits in the queue until one starts"
