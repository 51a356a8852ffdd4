"""How the service stands, for the admin pages: jobs by status, images a second, the queue by plan, and the
workers the database has seen (those holding jobs now, and those that ended one in the last minutes)."""

from dataclasses import dataclass
from datetime import date, timedelta

from sfumato.db.images import ImageStore
from sfumato.db.jobs import JobStore, WorkerSeen
from sfumato.domain.clock import Clock
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


class ServiceStatus:
    def __init__(self, jobs: JobStore, images: ImageStore, clock: Clock) -> None:
        self.jobs = jobs
        self.images = images
        self.clock = clock

    def overview(self) -> Overview:
        now = self.clock.now()
        made = self.images.made_since(now - RATE_WINDOW)
        queue = [
            PlanQueue(plan, jobs, max(0.0, (now - oldest).total_seconds()))
            for plan, (jobs, oldest) in sorted(self.jobs.queued_by_plan().items())
        ]
        return Overview(
            self.jobs.counts(), made / RATE_WINDOW.total_seconds(), self.jobs.workers(now - RECENT), queue
        )

    def images_per_day(self, key_id: str) -> list[tuple[date, int]]:
        """Every day of this UTC month so far, with the images this key's jobs made on it."""
        now = self.clock.now()
        start, end = month_bounds(now)
        made = self.jobs.images_per_day(key_id, start, end)
        days = (now.date() - start.date()).days + 1
        return [(day, made.get(day, 0)) for day in (start.date() + timedelta(days=i) for i in range(days))]
