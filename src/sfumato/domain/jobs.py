"""The job lifecycle: states, legal transitions, and the terminal rule."""

from enum import StrEnum


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
