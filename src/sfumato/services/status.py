"""How the service stands, for the admin pages: jobs by status, images a second, the queue by plan, and the
workers the database has seen (those holding jobs now, those that ended one in the last minutes, and those
whose heartbeat says which models they serve and hold in memory)."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sfumato.db.images import ImageStore
from sfumato.db.jobs import JobStore, WorkerSeen
from sfumato.db.workers import WorkerStore
from sfumato.domain.clock import Clock
from sfumato.domain.fleet import Heartbeat
from sfumato.domain.plans import month_bounds

RECENT = timedelta(minutes=10)
RATE_WINDOW = timedelta(minutes=1)


@dataclass(frozen=True)
class PlanQueue:
    """The queued jobs of one plan's keys."""

    plan: str
    jobs: int
    oldest_wait_seconds: float


@dataclass(frozen=True)
class Overview:
    counts: dict[str, int]
    images_per_second: float
    workers: list[WorkerSeen]
    queue: list[PlanQueue]  # by plan, the plans with jobs waiting
    heartbeats: dict[str, Heartbeat]  # by worker name: the models of those heard from lately


@dataclass(frozen=True)
class WorkerShown:
    """A worker as the admin page shows it: its jobs (from the jobs it holds and ended) and its models."""

    name: str
    models: list[str]
    loaded: list[str]
    running: int
    ended: int
    last_seen: datetime | None


def workers_shown(overview: Overview) -> list[WorkerShown]:
    """Every worker seen lately, by jobs or by heartbeat, by name."""
    jobs = {worker.name: worker for worker in overview.workers}
    shown = []
    for name in sorted(jobs.keys() | overview.heartbeats.keys()):
        worker, beat = jobs.get(name), overview.heartbeats.get(name)
        moments = [beat.seen_at] if beat else []
        if worker is not None and worker.last_seen is not None:
            moments.append(worker.last_seen)
        shown.append(
            WorkerShown(
                name,
                beat.models if beat else [],
                beat.loaded if beat else [],
                worker.running if worker else 0,
                worker.ended if worker else 0,
                max(moments, default=None),
            )
        )
    return shown


class ServiceStatus:
    def __init__(self, jobs: JobStore, images: ImageStore, clock: Clock, workers: WorkerStore) -> None:
        self.jobs = jobs
        self.images = images
        self.clock = clock
        self.workers = workers

    def overview(self) -> Overview:
        now = self.clock.now()
        made = self.images.made_since(now - RATE_WINDOW)
        queue = [
            PlanQueue(plan, jobs, max(0.0, (now - oldest).total_seconds()))
            for plan, (jobs, oldest) in sorted(self.jobs.queued_by_plan().items())
        ]
        beats = {beat.name: beat for beat in self.workers.seen_since(now - RECENT)}
        return Overview(
            self.jobs.counts(),
            made / RATE_WINDOW.total_seconds(),
            self.jobs.workers(now - RECENT),
            queue,
            beats,
        )

    def images_per_day(self, key_id: str) -> list[tuple[date, int]]:
        """Every day of this UTC month so far, with the images this key's jobs made on it."""
        now = self.clock.now()
        start, end = month_bounds(now)
        made = self.jobs.images_per_day(key_id, start, end)
        days = (now.date() - start.date()).days + 1
        return [(day, made.get(day, 0)) for day in (start.date() + timedelta(days=i) for i in range(days))]
