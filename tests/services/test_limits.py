"""The rate limiter on an injected clock: fixed minutes, counts shared through Redis, and an
unreachable Redis that limits nothing rather than refusing everyone."""

from datetime import UTC, datetime

import pytest

from sfumato.domain.errors import RateLimited
from sfumato.domain.plans import DEFAULT_PLANS, Limits
from sfumato.services.limits import RateLimiter
from tests.conftest import ManualClock


class Terms:
    def __init__(self, rpm: int | None = None, plan: str = "starter") -> None:
        self.plan, self.rpm, self.monthly_images = plan, rpm, None
        self.is_admin, self.max_queued, self.max_priority = False, None, None


def limits(rpm: int) -> Limits:
    return Limits.of(Terms(rpm), DEFAULT_PLANS)


def test_a_minute_allows_its_requests_and_the_next_minute_starts_again(clock: ManualClock) -> None:
    limiter = RateLimiter(ManualClock(datetime(2026, 3, 1, 9, 30, 15, tzinfo=UTC)))
    windows = [limiter.hit_generation("key_a", limits(3)) for _ in range(3)]
    assert [(w.remaining, w.reset_seconds) for w in windows if w] == [(2, 45), (1, 45), (0, 45)]
    with pytest.raises(RateLimited) as raised:
        limiter.hit_generation("key_a", limits(3))
    assert (
        raised.value.retry_after == 45
        and raised.value.window is not None
        and raised.value.window.remaining <= 0
    )
    assert limiter.hit_generation("key_b", limits(3)) is not None  # another key's own minute
    limiter.clock.advance(seconds=45)  # type: ignore[attr-defined]
    window = limiter.hit_generation("key_a", limits(3))
    assert window is not None and (window.remaining, window.reset_seconds) == (2, 60)


def test_reads_and_generation_are_counted_apart(clock: ManualClock) -> None:
    limiter = RateLimiter(clock)
    for _ in range(3):
        limiter.hit_generation("key_a", limits(3))
    read = limiter.hit_read("key_a", limits(3))
    assert read is not None and read.limit == DEFAULT_PLANS["starter"].reads_per_minute


def test_an_override_above_the_plans_reads_raises_the_reads_too() -> None:
    assert limits(10_000).reads_per_minute == 10_000
    assert limits(2).reads_per_minute == DEFAULT_PLANS["starter"].reads_per_minute


def test_two_limiters_on_one_redis_share_each_keys_count(redis_url: str, clock: ManualClock) -> None:
    clock.advance(days=400)  # counters of its own: a minute no other test has used
    first, second = RateLimiter(clock, redis_url), RateLimiter(clock, redis_url)
    assert first.remote and not RateLimiter(clock).remote
    seen = []
    for limiter in (first, second, first, second):
        window = limiter.hit_generation("key_shared", limits(4))
        assert window is not None
        seen.append(window.remaining)
    assert seen == [3, 2, 1, 0]
    with pytest.raises(RateLimited):
        first.hit_generation("key_shared", limits(4))
    window = second.generation_window("key_shared", limits(4))
    assert window is not None and window.remaining == 0


def test_an_unreachable_redis_limits_nothing_and_says_so(
    clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    limiter = RateLimiter(clock, "redis://127.0.0.1:9/0")  # the discard port: nothing listens
    for _ in range(5):
        assert limiter.hit_generation("key_a", limits(1)) is None
    limiter.check_address("127.0.0.1")
    assert "rate limits not enforced" in caplog.text
