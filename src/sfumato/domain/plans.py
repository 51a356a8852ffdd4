"""Plans, what they allow a key, and what a job costs (docs/plans.md). The figures are operator settings
(SFUMATO_PLANS)."""

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from pydantic import BaseModel, Field

from sfumato.domain.errors import PlanForbidden, QuotaExceeded
from sfumato.domain.fairness import PRIORITIES, Priority, check_priority
from sfumato.domain.jobs import JobStatus
from sfumato.domain.keys import ApiKey


class Plan(BaseModel):
    monthly_images: int | None = Field(ge=0)  # None: unlimited
    requests_per_minute: int = Field(ge=1)  # generation requests
    reads_per_minute: int = Field(ge=1)  # every other request under /v1 and /api: polling, listing
    max_images_per_request: int = Field(ge=1, le=10)
    max_streams: int = Field(20, ge=1)  # event streams a key holds open at once, in one API process
    max_loras: int = Field(2, ge=0, le=10)  # LoRA adapters a generation request may use
    lora_storage_bytes: int | None = Field(None, ge=0)  # what a key's own LoRA files may hold; None: no bound
    # The queue (domain.fairness): a key's share of the workers against other keys waiting, the jobs it
    # may have queued at once (None: only the service's SFUMATO_MAX_QUEUED_JOBS), its highest priority.
    queue_weight: float = Field(1.0, gt=0, le=1000)
    max_queued: int | None = Field(None, ge=1)
    max_priority: Priority = "normal"
    models: list[str] = Field(default_factory=list)  # the models its keys may use; empty: every one


DEFAULT_PLANS: dict[str, Plan] = {
    "starter": Plan(
        monthly_images=500,
        requests_per_minute=10,
        reads_per_minute=600,
        max_images_per_request=1,
        max_streams=10,
        lora_storage_bytes=1_000_000_000,
        queue_weight=1,
        max_queued=100,
        max_priority="normal",
    ),
    "professional": Plan(
        monthly_images=2000,
        requests_per_minute=30,
        reads_per_minute=1200,
        max_images_per_request=10,
        max_streams=50,
        lora_storage_bytes=10_000_000_000,
        queue_weight=2,
        max_queued=500,
        max_priority="high",
    ),
    "enterprise": Plan(
        monthly_images=5000,
        requests_per_minute=100,
        reads_per_minute=6000,
        max_images_per_request=10,
        max_streams=200,
        lora_storage_bytes=50_000_000_000,
        queue_weight=4,
        max_queued=1000,
        max_priority="high",
    ),
    # The operator's own keys (admin keys made at the command line): no quota, the most images a request
    # the service makes; the rates only stop a runaway script, far past what a person or a GPU does.
    "operator": Plan(
        monthly_images=None,
        requests_per_minute=1000,
        reads_per_minute=60000,
        max_images_per_request=10,
        max_streams=1000,
        queue_weight=4,
        max_priority="high",
    ),
}
OPERATOR_PLAN = "operator"  # what `sfumato keys create --admin` gives unless `--plan` says otherwise


class KeyTerms(Protocol):
    """What a key says about its own limits (domain.keys.ApiKey)."""

    @property
    def plan(self) -> str: ...
    @property
    def is_admin(self) -> bool: ...
    @property
    def rpm(self) -> int | None: ...
    @property
    def monthly_images(self) -> int | None: ...
    @property
    def max_queued(self) -> int | None: ...
    @property
    def max_priority(self) -> str | None: ...


@dataclass(frozen=True)
class Limits:
    """One key's limits: its plan's, with the key's own overrides."""

    plan: str
    requests_per_minute: int
    reads_per_minute: int
    monthly_images: int | None
    max_images_per_request: int
    max_streams: int
    max_loras: int = 2
    lora_storage_bytes: int | None = None
    queue_weight: float = 1.0
    max_queued: int | None = None
    max_priority: str = "normal"
    models: tuple[str, ...] = ()  # the models the key may use; empty: every one

    def allows(self, model: str) -> bool:
        return not self.models or model in self.models

    def check_request(self, images: int, priority: str, model: str) -> None:
        """PlanForbidden, naming the field, for a request past what the plan allows: more images a request,
        a higher priority, or a model it does not include."""
        if images > self.max_images_per_request:
            raise PlanForbidden(
                f"the {self.plan} plan allows at most {self.max_images_per_request} "
                f"image{'s' if self.max_images_per_request > 1 else ''} a request",
                param="n",
            )
        check_priority(priority, self.max_priority, self.plan)
        if not self.allows(model):
            raise PlanForbidden(
                f"the {self.plan} plan does not include model {model!r}; "
                f"it includes: {', '.join(self.models)}",
                param="model",
            )

    @classmethod
    def of(cls, key: KeyTerms, plans: dict[str, Plan]) -> "Limits":
        # A key whose plan the operator has since removed keeps the smallest plan's limits.
        plan = plans.get(key.plan) or min(plans.values(), key=lambda p: p.requests_per_minute)
        return cls(
            plan=key.plan,
            requests_per_minute=key.rpm or plan.requests_per_minute,
            # An override above the plan's reads would be starved by polling at the plan's rate.
            reads_per_minute=max(plan.reads_per_minute, key.rpm or 0),
            monthly_images=key.monthly_images if key.monthly_images is not None else plan.monthly_images,
            max_images_per_request=plan.max_images_per_request,
            max_streams=plan.max_streams,
            max_loras=plan.max_loras,
            lora_storage_bytes=plan.lora_storage_bytes,
            queue_weight=plan.queue_weight,
            max_queued=key.max_queued if key.max_queued is not None else plan.max_queued,
            # Admin keys are the operator's: any priority.
            max_priority=PRIORITIES[-1] if key.is_admin else key.max_priority or plan.max_priority,
            models=tuple(plan.models),
        )


@dataclass(frozen=True)
class PlanBook:
    """The operator's plans (SFUMATO_PLANS) and the one for keys made without one: the one owner of what
    a key's plan allows it, asked by every service that applies a limit."""

    plans: dict[str, Plan]
    default: str

    def limits_of(self, key: ApiKey) -> Limits:
        return Limits.of(key, self.plans)

    @property
    def names(self) -> list[str]:
        return list(self.plans)


def over_defaults(given: Any) -> Any:
    """Plans as the settings give them (SFUMATO_PLANS), over the defaults: figures given for a plan replace
    only those figures; the other plans stay as they are."""
    if not isinstance(given, dict):
        return given
    merged: dict[str, Any] = {name: plan.model_dump() for name, plan in DEFAULT_PLANS.items()}
    for name, figures in given.items():
        if isinstance(figures, Plan):
            figures = figures.model_dump()
        merged[name] = {**merged.get(name, {}), **figures} if isinstance(figures, dict) else figures
    return merged


def month_of(moment: datetime) -> str:
    """The quota month a moment falls in, in UTC: "2026-11"."""
    return moment.astimezone(UTC).strftime("%Y-%m")


def month_bounds(moment: datetime) -> tuple[datetime, datetime]:
    """The start of the UTC month a moment falls in, and of the next."""
    moment = moment.astimezone(UTC)
    start = datetime(moment.year, moment.month, 1, tzinfo=UTC)
    end = datetime(moment.year + moment.month // 12, moment.month % 12 + 1, 1, tzinfo=UTC)
    return start, end


def quota_exceeded(quota: int | None, used: int, asked: int, now: datetime) -> QuotaExceeded:
    """The answer when `asked` more images would pass the month's quota."""
    month, next_month = month_of(now), month_bounds(now)[1]
    left = max(0, (quota or 0) - used)
    return QuotaExceeded(
        f"this key's {quota} images for {month} are spent "
        f"({left} left, {asked} asked); the quota renews on {next_month:%Y-%m-%d} (UTC)",
        retry_after=max(1, math.ceil((next_month - now).total_seconds())),
    )


@dataclass(frozen=True)
class Window:
    """A rate limit's current minute, after the request just counted."""

    limit: int
    remaining: int  # below 0: the request just counted was one too many
    reset_seconds: int  # until the window ends and the count starts again


def refunded(before: JobStatus, after: JobStatus | None) -> bool:
    """Whether a job's images go back to the month that paid for them when it moves from `before` to
    `after` (None: deleted). A generation that fails is not charged; a job canceled or deleted before a
    worker took it never ran; a running job that is canceled has had its GPU time and stays charged."""
    if after is JobStatus.FAILED:
        return True
    return before is JobStatus.QUEUED and after in (JobStatus.CANCELED, None)
