"""The fleet's models (docs/api.md §15): what the live workers serve and hold in memory, from their
heartbeats (db.workers) and, for this process's own worker, from the worker itself; and the models that
queued jobs ask for but no live worker serves."""

import threading
import time
from collections.abc import Callable, Sequence

from sfumato.db.database import Database
from sfumato.db.pools import queued_models
from sfumato.db.workers import WorkerStore
from sfumato.domain.clock import Clock
from sfumato.domain.fleet import FleetModel, Heartbeat, alive_since, fleet_models, waiting_notice
from sfumato.services.worker import Worker


class Fleet:
    def __init__(
        self,
        store: WorkerStore,
        db: Database,
        clock: Clock,
        *,
        own: Worker | None,
        configured: Sequence[str],
        heartbeat_seconds: float,
        cache_seconds: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.db = db
        self.clock = clock
        self.own = own  # the worker `sfumato serve` embeds, if any
        self.configured = tuple(configured)  # this process's models, the default first
        self.heartbeat_seconds = heartbeat_seconds
        self.cache_seconds = cache_seconds
        self.monotonic = monotonic
        self._lock = threading.Lock()
        self._served: frozenset[str] = frozenset()
        self._read_at: float | None = None

    def workers(self) -> list[Heartbeat]:
        """The live workers, by name: those heard from lately, and this process's own while it serves."""
        now = self.clock.now()
        own = self.own
        beats = [
            beat
            for beat in self.store.seen_since(alive_since(now, self.heartbeat_seconds))
            if own is None or beat.name != own.name
        ]
        if own is not None and own.serving:
            beats.append(Heartbeat(own.name, list(own.models), own.resident(), now, now))
        return sorted(beats, key=lambda beat: beat.name)

    def models(self) -> list[FleetModel]:
        """This process's models first (the default leading), then every other model a live worker serves."""
        return fleet_models(self.workers(), self.configured)

    def served(self) -> frozenset[str]:
        """The models some live worker serves, as read at most `cache_seconds` ago: what a poll asks."""
        with self._lock:
            moment = self.monotonic()
            if self._read_at is None or moment - self._read_at >= self.cache_seconds:
                self._served = frozenset(model for beat in self.workers() for model in beat.models)
                self._read_at = moment
            return self._served

    def waiting(self, model: str) -> str | None:
        """The notice a queued job of `model` carries while no live worker serves it; None when one does."""
        return None if model in self.served() else waiting_notice(model)

    def unserved(self) -> list[str]:
        """The models queued jobs ask for that no live worker serves (for /readyz)."""
        served = {model for beat in self.workers() for model in beat.models}
        return [model for model in queued_models(self.db) if model not in served]
