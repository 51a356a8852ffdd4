"""Where a queued job stands, for its client (docs/api.md §18): how many jobs run before it, and when it may
start at the rate its model's jobs have been starting lately; and, for a key whose queue is full, how long
until its next job starts and frees a place."""

import threading
from datetime import datetime, timedelta

from sfumato.db.places import QueuePlaces
from sfumato.domain import fairness
from sfumato.domain.clock import Clock
from sfumato.domain.fairness import Place
from sfumato.domain.jobs import Job, JobStatus

RATE_WINDOW = timedelta(minutes=1)  # the recent rate: jobs of the model that started in the last minute
RATE_KEPT = timedelta(seconds=2)  # a model's rate is read again at most this often, however many poll


class PlaceService:
    def __init__(self, places: QueuePlaces, clock: Clock) -> None:
        self.places = places
        self.clock = clock
        self._rates: dict[str, tuple[float, datetime]] = {}  # model -> (jobs a second, when it was read)
        self._lock = threading.Lock()

    def jobs_per_second(self, model: str) -> float:
        """How many jobs of the model started a second, over the last RATE_WINDOW."""
        now = self.clock.now()
        with self._lock:
            kept = self._rates.get(model)
        if kept is not None and now - kept[1] < RATE_KEPT:
            return kept[0]
        started = self.places.started_since(model, now - RATE_WINDOW)
        rate = started / RATE_WINDOW.total_seconds()
        with self._lock:
            self._rates[model] = (rate, now)
        return rate

    def place_of(self, job: Job) -> Place | None:
        """A queued job's place; None for a job that is not queued."""
        if job.status != JobStatus.QUEUED:
            return None
        return self._place(job.id, job.params.model, job)

    def _place(self, job_id: str, model: str, known: Job | None = None) -> Place | None:
        position = self.places.position(job_id, known)
        if position is None:  # taken by a worker, or ended, since it was read
            return None
        rate = self.jobs_per_second(model)
        return Place(position, fairness.estimate_start(position, rate, self.clock.now()))

    def retry_after(self, key_id: str) -> int:
        """Seconds until the key's next queued job is expected to start (its queue then has room)."""
        first = self.places.next_of_key(key_id)
        if first is None:  # its jobs started meanwhile: there is room now
            return 1
        return fairness.retry_after(self._place(*first), self.clock.now())
