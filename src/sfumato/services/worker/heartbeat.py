"""The heartbeat: every few seconds (SFUMATO_HEARTBEAT_SECONDS), on a thread of its own and never the
engine's, the worker records its name, the models it serves and those it holds in memory (db.workers), and
sweeps the heartbeats of workers long gone. A switch of models beats at once; a worker that drains or stops
deletes its row, so the fleet stops counting it before its last beat ages out."""

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import datetime

from sfumato.db.workers import WorkerStore
from sfumato.domain.clock import Clock
from sfumato.domain.fleet import FORGOTTEN_AFTER, Heartbeat

log = logging.getLogger(__name__)


class HeartbeatKeeper:
    def __init__(
        self,
        store: WorkerStore,
        clock: Clock,
        *,
        name: str,
        models: Callable[[], Sequence[str]],
        loaded: Callable[[], Sequence[str]],
        interval: float,
    ) -> None:
        self.store = store
        self.clock = clock
        self.name = name
        self.models = models
        self.loaded = loaded
        self.interval = interval
        self._started_at: datetime | None = None
        self._due = threading.Event()  # beat now: the models in memory changed
        self._leaving = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sfumato-presence", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def poke(self) -> None:
        """Beat at once (from any thread: it only sets an event)."""
        self._due.set()

    def leave(self) -> None:
        """Beat no more, and delete the row (on the heartbeat's own thread, if it runs)."""
        self._leaving.set()
        self._due.set()
        if not self._thread.is_alive():
            self._remove()

    def stop(self, timeout: float) -> None:
        self.leave()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def beat(self) -> None:
        """One heartbeat, now."""
        now = self.clock.now()
        if self._started_at is None:
            self._started_at = now
        models = list(self.models())
        loaded = [model for model in self.loaded() if model in models]
        beat = Heartbeat(self.name, models, loaded, self._started_at, now)
        self.store.beat(beat, forget_before=now - FORGOTTEN_AFTER)

    def _run(self) -> None:
        while not self._leaving.is_set():
            try:
                self.beat()
            except Exception:  # the database is away: the next beat tries again
                log.exception("worker %s: could not record its heartbeat", self.name)
            self._due.wait(self.interval)
            self._due.clear()
        self._remove()

    def _remove(self) -> None:
        try:
            self.store.leave(self.name)
        except Exception:
            log.exception("worker %s: could not remove its heartbeat", self.name)
