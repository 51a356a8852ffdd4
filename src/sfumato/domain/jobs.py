"""The job lifecycle: states, legal transitions, the terminal rule, and a job as a record."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sfumato.domain import batching
from sfumato.domain.params import JobParams


class JobStatus(StrEnum):
    QUEUED = "queued"
    PROCESSING = "processing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"

    def is_terminal(self) -> bool:
        return self in TERMINAL


TERMINAL = frozenset({JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELED})

# processing -> queued is a lapsed lease (or a worker handing its job back on shutdown).
TRANSITIONS: dict[JobStatus, frozenset[JobStatus]] = {
    JobStatus.QUEUED: frozenset({JobStatus.PROCESSING, JobStatus.CANCELED}),
    JobStatus.PROCESSING: frozenset(
        {JobStatus.QUEUED, JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELED}
    ),
    JobStatus.SUCCEEDED: frozenset(),
    JobStatus.FAILED: frozenset(),
    JobStatus.CANCELED: frozenset(),
}


def sources_of(target: JobStatus) -> frozenset[JobStatus]:
    """The states a job may move to `target` from; the queue's WHERE clauses use this."""
    return frozenset(s for s, targets in TRANSITIONS.items() if target in targets)


def ended_event(status: JobStatus) -> str:
    """The webhook event a job's end sends (docs/webhooks.md): job.succeeded, job.failed, job.canceled."""
    assert status.is_terminal(), status
    return f"job.{status.value}"


@dataclass(frozen=True)
class Job:
    id: str
    key_id: str
    status: JobStatus
    params: JobParams
    created_at: datetime
    started_at: datetime | None
    completed_at: datetime | None
    progress: float
    attempts: int
    max_attempts: int
    error_code: str | None = None
    error_message: str | None = None
    warnings: list[str] | None = None  # what the engine could not do as asked, once it ran
    lease_owner: str | None = None  # the worker holding the job; after its end, the one that ended it
    lease_expires_at: datetime | None = None
    charged_month: str | None = None  # the quota month its images count in
    preview: str | None = None  # while it runs, when asked: the latest step's small picture, PNG in base64

    @property
    def n(self) -> int:
        return self.params.n

    @property
    def batch_key(self) -> str:
        """Jobs with equal keys can share a pipeline call (domain.batching)."""
        return batching.batch_key(self.params)
