"""A key's limits, the quota month, the quota's refusal and when a job's images are given back
(docs/plans.md), as pure rules."""

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

import pytest

from sfumato.domain.jobs import JobStatus
from sfumato.domain.plans import DEFAULT_PLANS, Limits, Plan, month_bounds, month_of, quota_exceeded, refunded


@dataclass
class Terms:
    plan: str = "professional"
    rpm: int | None = None
    monthly_images: int | None = None
    is_admin: bool = False
    max_queued: int | None = None
    max_priority: str | None = None


def test_a_key_without_overrides_has_its_plans_limits() -> None:
    limits = Limits.of(Terms("starter"), DEFAULT_PLANS)
    assert limits == Limits(
        plan="starter",
        requests_per_minute=10,
        reads_per_minute=600,
        monthly_images=500,
        max_images_per_request=1,
        max_streams=10,
        queue_weight=1,
        max_queued=100,
        max_priority="normal",
    )


def test_a_keys_overrides_replace_its_plans_figures() -> None:
    limits = Limits.of(Terms("professional", rpm=45, monthly_images=7), DEFAULT_PLANS)
    assert limits.requests_per_minute == 45
    assert limits.monthly_images == 7
    assert limits.reads_per_minute == 1200  # the plan's reads: above the override
    assert limits.max_images_per_request == 10


def test_a_quota_override_of_zero_is_a_quota_of_zero_not_the_plans() -> None:
    assert Limits.of(Terms("starter", monthly_images=0), DEFAULT_PLANS).monthly_images == 0


def test_an_rpm_override_above_the_plans_reads_raises_the_reads_too() -> None:
    assert Limits.of(Terms("starter", rpm=900), DEFAULT_PLANS).reads_per_minute == 900


def test_a_key_whose_plan_was_removed_keeps_the_smallest_plans_limits_under_its_own_name() -> None:
    plans = {
        "big": Plan(
            monthly_images=None, requests_per_minute=50, reads_per_minute=70, max_images_per_request=4
        ),
        "small": Plan(monthly_images=9, requests_per_minute=5, reads_per_minute=60, max_images_per_request=2),
    }
    limits = Limits.of(Terms("gone"), plans)
    assert limits == Limits(
        plan="gone",
        requests_per_minute=5,
        reads_per_minute=60,
        monthly_images=9,
        max_images_per_request=2,
        max_streams=20,  # a plan that names no figure for streams holds 20
    )


def test_the_quota_month_is_the_utc_month() -> None:
    east = timezone(timedelta(hours=9))
    assert month_of(datetime(2026, 12, 1, 3, 0, tzinfo=east)) == "2026-11"  # still November in UTC
    assert month_of(datetime(2026, 11, 30, 23, 59, tzinfo=UTC)) == "2026-11"


@pytest.mark.parametrize(
    ("moment", "start", "end"),
    [
        (
            datetime(2026, 11, 17, 8, tzinfo=UTC),
            datetime(2026, 11, 1, tzinfo=UTC),
            datetime(2026, 12, 1, tzinfo=UTC),
        ),
        (
            datetime(2026, 12, 31, 23, tzinfo=UTC),
            datetime(2026, 12, 1, tzinfo=UTC),
            datetime(2027, 1, 1, tzinfo=UTC),
        ),
        (
            datetime(2027, 1, 1, tzinfo=UTC),
            datetime(2027, 1, 1, tzinfo=UTC),
            datetime(2027, 2, 1, tzinfo=UTC),
        ),
    ],
)
def test_a_month_runs_from_its_first_day_to_the_next_months(
    moment: datetime, start: datetime, end: datetime
) -> None:
    assert month_bounds(moment) == (start, end)


def test_the_quotas_refusal_says_what_is_left_and_when_it_renews() -> None:
    now = datetime(2026, 11, 30, 23, 59, 30, tzinfo=UTC)
    refusal = quota_exceeded(500, 499, 2, now)
    assert refusal.message == (
        "this key's 500 images for 2026-11 are spent (1 left, 2 asked); the quota renews on 2026-12-01 (UTC)"
    )
    assert refusal.retry_after == 30
    overspent = quota_exceeded(3, 5, 1, datetime(2026, 11, 1, tzinfo=UTC))
    assert "(0 left, 1 asked)" in overspent.message
    assert overspent.retry_after == 30 * 24 * 3600


def test_the_refusal_waits_at_least_a_second() -> None:
    just_before = datetime(2026, 12, 1, tzinfo=UTC) - timedelta(microseconds=1)
    assert quota_exceeded(1, 1, 1, just_before).retry_after == 1


@pytest.mark.parametrize(
    ("before", "after", "given_back"),
    [
        (JobStatus.QUEUED, JobStatus.FAILED, True),
        (JobStatus.PROCESSING, JobStatus.FAILED, True),
        (JobStatus.QUEUED, JobStatus.CANCELED, True),
        (JobStatus.QUEUED, None, True),
        (JobStatus.PROCESSING, JobStatus.CANCELED, False),
        (JobStatus.PROCESSING, None, False),
        (JobStatus.PROCESSING, JobStatus.SUCCEEDED, False),
        (JobStatus.SUCCEEDED, None, False),
        (JobStatus.QUEUED, JobStatus.PROCESSING, False),
    ],
)
def test_images_go_back_only_for_a_failure_or_a_job_that_never_ran(
    before: JobStatus, after: JobStatus | None, given_back: bool
) -> None:
    assert refunded(before, after) is given_back


def test_the_quota_month_does_not_follow_the_machines_time_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Pacific/Kiritimati")  # UTC+14: already the next day, and month, there
    time.tzset()
    try:
        moment = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
        assert month_of(moment) == "2026-11"
        assert month_bounds(moment) == (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))
    finally:
        monkeypatch.undo()
        time.tzset()


def test_the_operator_plan_has_no_quota_and_the_services_own_most_images_a_request() -> None:
    assert Limits.of(Terms("operator"), DEFAULT_PLANS) == Limits(
        plan="operator",
        requests_per_minute=1000,
        reads_per_minute=60000,
        monthly_images=None,
        max_images_per_request=10,
        max_streams=1000,
        queue_weight=4.0,
        max_priority="high",
    )
