"""Who goes next when several keys wait (docs/architecture.md, "A fair queue"). Pure functions: no database.

Every queued job has a *turn*: a place on the queue's virtual clock, given when it is queued,

    turn = max(the model's first turn now waiting, the key's last turn now waiting) + n / queue_weight

(start-time fair queuing, Goyal, Vin and Cheng, SIGCOMM 1996, with each job's finish as its place). The next
batch goes to the smallest turn. So "the least service lately" means: the fewest images per unit of weight
since the key last had nothing waiting. A key that starts sending while another floods begins at the
flood's front, not behind it; two keys flooding together get images in the ratio of their weights; a key
alone takes every batch, and carries no debt for it once its queue is empty. A key's turns are its own:
whichever of its jobs comes first by priority, then age, runs in the key's next turn.
"""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, get_args

from sfumato.domain.errors import PlanForbidden

Priority = Literal["low", "normal", "high"]
PRIORITIES: tuple[Priority, ...] = get_args(Priority)
NORMAL: Priority = "normal"


def rank(priority: str) -> int:
    """A priority as the queue orders it, first to run first: high 0, normal 1, low 2."""
    return 2 - PRIORITIES.index(priority)


def check_priority(priority: str, highest: str, plan: str) -> None:
    """PlanForbidden past the key's highest priority (its plan's `max_priority`, or the key's own)."""
    if rank(priority) < rank(highest):
        raise PlanForbidden(
            f"this key ({plan} plan) may ask a priority of at most {highest!r}, not {priority!r}",
            param="priority",
        )


def next_turn(first: float | None, last_of_key: float | None, images: int, weight: float) -> float:
    """A new job's turn: after the model's first waiting turn (`first`, None when nothing waits) and after
    the key's own last waiting turn (None when the key has nothing waiting), by its images over the weight."""
    start = max(first or 0.0, last_of_key if last_of_key is not None else -math.inf)
    return start + images / weight


@dataclass(frozen=True)
class ModelWork:
    """A model with queued jobs, as a worker that serves it sees it."""

    model: str
    waited: float  # seconds its oldest queued job has waited
    resident: bool  # the worker has it loaded


def model_order(work: list[ModelWork], switch_after: float | None) -> list[str]:
    """The models to claim from, best first: a model not loaded whose oldest job has waited longer than
    `switch_after` (None: never), then the loaded ones, then the rest; the longest wait first within each."""

    def group(item: ModelWork) -> int:
        if not item.resident:
            return 0 if switch_after is not None and item.waited > switch_after else 2
        return 1

    return [item.model for item in sorted(work, key=lambda item: (group(item), -item.waited, item.model))]


@dataclass(frozen=True)
class Place:
    """Where a queued job stands: the jobs of its model that will run before it, and when it may start."""

    position: int  # 0: the next to run
    estimated_start_at: datetime | None  # None: no recent rate to judge by


def estimate_start(position: int, jobs_per_second: float, now: datetime) -> datetime | None:
    """When a job with `position` jobs before it starts, at the recent rate; None without a rate."""
    if jobs_per_second <= 0:
        return None
    return now + timedelta(seconds=position / jobs_per_second)


def retry_after(place: Place | None, now: datetime, fallback: int = 5) -> int:
    """Seconds until a key whose queue is full may send again: until its next job starts and frees a
    place (`place`: that job's), at least 1; `fallback` when that cannot be judged."""
    if place is None or place.estimated_start_at is None:
        return fallback
    return max(1, math.ceil((place.estimated_start_at - now).total_seconds()))
