"""The job queue: leases, attempts, how long waits last, and draining (docs/architecture.md)."""

from pydantic import Field
from pydantic_settings import BaseSettings

from sfumato.config.base import PREFIX


class QueueSettings(BaseSettings):
    model_config = PREFIX

    # The job queue (docs/architecture.md).
    lease_seconds: float = Field(
        30.0, gt=0, description="how long a worker's claim on a job lasts without renewal"
    )
    max_attempts: int = Field(
        3, ge=1, description="claims of one job (workers that died holding it) before it is failed"
    )
    poll_seconds: float = Field(
        1.0, gt=0, description="how often idle workers, and waiters on another process's worker, look again"
    )
    heartbeat_seconds: float = Field(
        5.0,
        gt=0,
        le=300,
        description="how often each worker records the models it serves and holds in memory (`GET "
        "/v1/models`, the admin page); a worker unheard for three of these is gone",
    )
    drain_seconds: float = Field(
        20.0,
        ge=0,
        le=3600,
        description="on SIGTERM, how long a worker may take to finish the batch in hand (it claims no more) "
        "before it hands the batch back to the queue, and an API process lets running requests finish (long "
        "polls and event streams end at once, reconnectable): under the pod's termination grace period",
    )
    max_queued_jobs: int = Field(
        1000, ge=1, description="queued jobs past which new work answers 503 `overloaded`"
    )
    default_wait_seconds: float = Field(
        60.0, ge=0, description="how long imagine waits without `Prefer: wait=N`"
    )
    max_wait_seconds: float = Field(
        300.0, ge=0, description="the longest `Prefer: wait=N` honoured, and the synchronous dialects' wait"
    )
