"""Per-key generation rate limits (API.md §9), counted by the `limits` package.

Each key may start `rpm` generation requests in any sliding minute: its own override, or its plan's.
Failed key attempts are counted per client address too (SFUMATO_AUTH_FAILURES_PER_MINUTE). Counts
live in this process's memory (the embedded default); sharing them between API processes through
Redis, the read limit, and monthly quotas come with the limits issue.
"""

import math
import time
from dataclasses import dataclass

from limits import RateLimitItemPerMinute
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from sfumato.config import PLANS
from sfumato.db.tables import ApiKey
from sfumato.domain.errors import RateLimited


@dataclass(frozen=True)
class Window:
    limit: int
    remaining: int
    reset_seconds: int  # until a request is counted out of the window

    def headers(self) -> dict[str, str]:
        return {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_seconds),
        }


class RateLimiter:
    def __init__(self, storage_uri: str = "memory://", *, auth_failures_per_minute: int = 30) -> None:
        self.limiter = MovingWindowRateLimiter(storage_from_string(storage_uri))
        self.auth_failures = RateLimitItemPerMinute(auth_failures_per_minute)

    def check_address(self, address: str) -> None:
        """RateLimited while this address has spent its minute of failed key attempts: guessing keys
        from one address goes at most that fast, whatever key it tries next."""
        if not self.limiter.test(self.auth_failures, "auth", address):
            stats = self.limiter.get_window_stats(self.auth_failures, "auth", address)
            wait = max(1, math.ceil(stats.reset_time - time.time()))
            raise RateLimited(
                f"too many failed authentication attempts from this address; try again in {wait} s",
                retry_after=wait,
            )

    def failed_attempt(self, address: str) -> None:
        self.limiter.hit(self.auth_failures, "auth", address)

    def hit_generation(self, key: ApiKey) -> Window:
        """Count one generation request of this key; RateLimited (429) when its minute is spent."""
        per_minute = key.rpm or PLANS[key.plan].requests_per_minute
        item = RateLimitItemPerMinute(per_minute)
        allowed = self.limiter.hit(item, "generation", key.id)
        stats = self.limiter.get_window_stats(item, "generation", key.id)
        window = Window(per_minute, stats.remaining, max(1, math.ceil(stats.reset_time - time.time())))
        if not allowed:
            raise RateLimited(
                f"this key may start {per_minute} generation requests a minute; "
                f"try again in {window.reset_seconds} s",
                retry_after=window.reset_seconds,
                headers=window.headers(),
            )
        return window
