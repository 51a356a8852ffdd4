"""A job as the services hand it up: the record, its images, and, while it waits, its place in the queue."""

from dataclasses import dataclass

from sfumato.db.jobs import JobWithImages
from sfumato.domain.fairness import Place
from sfumato.domain.images import Image
from sfumato.domain.jobs import Job, JobStatus


@dataclass(frozen=True)
class JobView:
    job: Job
    images: list[Image]
    replayed: bool = False  # found by its idempotency key, not created now
    place: Place | None = None  # a queued job's place (services.places), where it was read
    waiting: str | None = None  # why it waits beyond its turn: no live worker serves its model

    @property
    def status(self) -> JobStatus:
        return self.job.status

    @classmethod
    def of(cls, found: JobWithImages, replayed: bool = False) -> "JobView":
        job, images = found
        return cls(job, images, replayed)
