"""Per-key rate limits (docs/plans.md), counted in the `limits` package's storage.

Counts are per calendar minute of the injected clock (a fixed window): the window's number is part
of the counter's name, so the clock alone decides when a minute ends, tests move it by hand, and
every API process sharing one Redis (SFUMATO_REDIS_URL) counts into the same counters. Without
Redis the counts live in this process's memory (the embedded default).

Three counters: generation requests a minute per key, every other request a minute per key (reads:
a much higher limit), and wrong keys a minute per client address. If Redis cannot be reached the
limits are not enforced (logged), so an outage of the counter store never refuses paying clients.
"""

import logging
import math
import time

from limits import RateLimitItemPerMinute
from limits.errors import StorageError
from limits.storage import Storage, storage_from_string

from sfumato.domain.clock import Clock
from sfumato.domain.errors import RateLimited
from sfumato.domain.plans import Limits, Window

log = logging.getLogger(__name__)

WINDOW_SECONDS = 60
_OUTAGE_LOG_EVERY = 60.0  # seconds between two warnings about an unreachable counter store


class RateLimiter:
    def __init__(
        self, clock: Clock, storage_uri: str = "memory://", *, auth_failures_per_minute: int = 30
    ) -> None:
        self.clock = clock
        self.storage_uri = storage_uri
        storage = storage_from_string(storage_uri, wrap_exceptions=True)
        if not isinstance(storage, Storage):  # an async+… URI: these counters are counted in threads
            raise ValueError(f"SFUMATO_REDIS_URL: {storage_uri!r} is not a redis:// address")
        self.storage: Storage = storage
        self.auth_failures_per_minute = auth_failures_per_minute
        self._last_outage_log = -math.inf

    @property
    def remote(self) -> bool:
        """Whether a count is a network round trip (Redis): callers then count off the event loop."""
        return not self.storage_uri.startswith("memory://")

    def _minute(self) -> tuple[int, int]:
        """The current window's number and the whole seconds until it ends (at least 1)."""
        now = self.clock.now().timestamp()
        minute = math.floor(now / WINDOW_SECONDS)
        return minute, max(1, math.ceil((minute + 1) * WINDOW_SECONDS - now))

    def _counter(self, kind: str, identifier: str, per_minute: int, minute: int) -> str:
        return RateLimitItemPerMinute(per_minute).key_for(kind, identifier, str(minute))

    def _hit(self, kind: str, identifier: str, per_minute: int) -> Window | None:
        """Count one request; the window after it, or None when the counter store is unreachable."""
        minute, reset = self._minute()
        try:
            # The counter expires two windows later: long enough to outlive its minute on any clock.
            count = self.storage.incr(self._counter(kind, identifier, per_minute, minute), 2 * WINDOW_SECONDS)
        except StorageError as error:
            self._outage(error)
            return None
        return Window(per_minute, per_minute - count, reset)  # below 0: this request was one too many

    def _peek(self, kind: str, identifier: str, per_minute: int) -> Window | None:
        minute, reset = self._minute()
        try:
            count = self.storage.get(self._counter(kind, identifier, per_minute, minute))
        except StorageError as error:
            self._outage(error)
            return None
        return Window(per_minute, max(0, per_minute - count), reset)

    def _outage(self, error: StorageError) -> None:
        if time.monotonic() - self._last_outage_log >= _OUTAGE_LOG_EVERY:
            self._last_outage_log = time.monotonic()
            log.warning(
                "rate limits not enforced: the counter store is unreachable (%s)", error.storage_error
            )

    def hit_generation(self, key_id: str, limits: Limits) -> Window | None:
        """Count one generation request of this key; RateLimited (429) when its minute is spent."""
        return self._enforce("generation", key_id, limits.requests_per_minute, "generation requests")

    def hit_read(self, key_id: str, limits: Limits) -> Window | None:
        """Count any other request of this key (polling, listing, reading images)."""
        return self._enforce("read", key_id, limits.reads_per_minute, "requests other than generation")

    def generation_window(self, key_id: str, limits: Limits) -> Window | None:
        """This minute's generation window, without counting a request (GET /v1/usage)."""
        return self._peek("generation", key_id, limits.requests_per_minute)

    def _enforce(self, kind: str, key_id: str, per_minute: int, what: str) -> Window | None:
        window = self._hit(kind, key_id, per_minute)
        if window is not None and window.remaining < 0:
            raise RateLimited(
                f"this key may send {per_minute} {what} a minute; try again in {window.reset_seconds} s",
                retry_after=window.reset_seconds,
                window=window,
            )
        return window

    def check_address(self, address: str) -> None:
        """RateLimited while this address has spent its minute of failed key attempts: guessing keys
        from one address goes at most that fast, whatever key it tries next."""
        window = self._peek("auth", address, self.auth_failures_per_minute)
        if window is not None and window.remaining <= 0:
            raise RateLimited(
                "too many failed authentication attempts from this address; "
                f"try again in {window.reset_seconds} s",
                retry_after=window.reset_seconds,
            )

    def failed_attempt(self, address: str) -> None:
        self._hit("auth", address, self.auth_failures_per_minute)
