"""What a key may do and how much of it is left (GET /v1/usage)."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sfumato.db.usage import UsageStore
from sfumato.domain.clock import Clock
from sfumato.domain.keys import ApiKey
from sfumato.domain.plans import Limits, Window, month_bounds, month_of
from sfumato.services.limits import RateLimiter


@dataclass(frozen=True)
class Usage:
    limits: Limits
    month: str
    period_start: datetime
    period_end: datetime
    images_used: int
    window: Window | None  # this minute's generation requests; None if the counter store is down

    @property
    def images_left(self) -> int | None:
        quota = self.limits.monthly_images
        return None if quota is None else max(0, quota - self.images_used)


class UsageService:
    def __init__(
        self, store: UsageStore, clock: Clock, limiter: RateLimiter, *, limits_of: Callable[[ApiKey], Limits]
    ) -> None:
        self.store = store
        self.clock = clock
        self.limiter = limiter
        self.limits_of = limits_of

    def report(self, key: ApiKey) -> Usage:
        now = self.clock.now()
        month = month_of(now)
        start, end = month_bounds(now)
        limits = self.limits_of(key)
        used = self.store.used(key.id, month)
        return Usage(limits, month, start, end, used, self.limiter.generation_window(key.id, limits))
