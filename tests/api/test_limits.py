"""Plans and limits over HTTP (docs/plans.md), on a clock the tests move: the generation and read limits
with their headers, failed keys per address, monthly quotas with refunds, and `n` per plan."""

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sfumato.engine.pipeline import DiffusersEngine
from tests.conftest import SMALL, Deployment, Live, ManualClock, start_live

BODY = {"prompt": "x", **SMALL}
START = datetime(2026, 1, 31, 23, 58, 20, tzinfo=UTC)  # 100 s before February, 40 s before a minute ends


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def app(
    deployment: Deployment, tmp_path: Path, tiny_engine: DiffusersEngine, clock: ManualClock
) -> Iterator[Live]:
    """No worker: jobs stay queued, so only the limits decide what is accepted."""
    settings = deployment.settings(
        tmp_path / "data",
        auth_failures_per_minute=3,
        plans={"starter": {"reads_per_minute": 5}},
    )
    yield from start_live(settings, tiny_engine, clock=clock, with_worker=False)


def test_generation_answers_carry_the_window_and_the_spent_minute_is_429_until_it_ends(
    app: Live, clock: ManualClock
) -> None:
    headers = app.key("limited", rpm=2)
    first = app.client.post("/v1/jobs", json=BODY, headers=headers)
    second = app.client.post("/api/v1/image", json=BODY, headers=headers)  # every generation route counts
    assert (first.status_code, second.status_code) == (202, 201)
    assert [r.headers["RateLimit-Limit"] for r in (first, second)] == ["2", "2"]
    assert [r.headers["RateLimit-Remaining"] for r in (first, second)] == ["1", "0"]
    assert second.headers["RateLimit-Reset"] == "40"  # the minute ends 40 s after START
    third = app.client.post("/v1/images/imagine", json=BODY | {"name": "n"}, headers=headers)
    assert third.status_code == 429
    error = third.json()["error"]
    assert (error["type"], error["code"]) == ("rate_limit_error", "rate_limit_exceeded")
    assert third.headers["Retry-After"] == "40"
    assert (third.headers["RateLimit-Limit"], third.headers["RateLimit-Remaining"]) == ("2", "0")
    clock.advance(seconds=39)
    assert app.client.post("/v1/jobs", json=BODY, headers=headers).status_code == 429
    clock.advance(seconds=1)  # the next minute
    again = app.client.post("/v1/jobs", json=BODY, headers=headers)
    assert again.status_code == 202 and again.headers["RateLimit-Remaining"] == "1"


def test_reads_have_their_own_higher_count_that_generation_does_not_spend(app: Live) -> None:
    headers = app.key("reader", rpm=1)  # starter's reads are 5 a minute here
    assert app.client.post("/v1/jobs", json=BODY, headers=headers).status_code == 202
    for _ in range(5):
        listing = app.client.get("/v1/jobs", headers=headers)
        assert listing.status_code == 200 and "RateLimit-Limit" not in listing.headers
    refused = app.client.get("/v1/images", headers=headers)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "40"
    assert refused.headers["RateLimit-Limit"] == "5"
    assert "requests other than generation" in refused.json()["error"]["message"]
    assert app.client.post("/v1/jobs", json=BODY, headers=headers).status_code == 429  # its own minute
    assert app.client.get("/v1/jobs", headers=app.key("other")).status_code == 200  # another key's count


def test_without_an_override_the_plan_sets_the_limit(app: Live) -> None:
    starter = app.client.post("/v1/jobs", json=BODY, headers=app.key("s"))
    professional = app.client.post("/v1/jobs", json=BODY, headers=app.key("p", plan="professional"))
    assert (starter.headers["RateLimit-Limit"], professional.headers["RateLimit-Limit"]) == ("10", "30")


def test_an_invalid_request_counts_too_and_says_so(app: Live) -> None:
    answer = app.client.post("/v1/jobs", json={"prompt": "x", "width": 100}, headers=app.key("bad", rpm=5))
    assert answer.status_code == 400
    assert (answer.headers["RateLimit-Limit"], answer.headers["RateLimit-Remaining"]) == ("5", "4")


def test_wrong_keys_from_one_address_are_refused_for_the_rest_of_the_minute_and_valid_keys_are_not(
    app: Live, clock: ManualClock
) -> None:
    good = app.key()
    for _ in range(3):
        assert app.client.get("/v1/jobs", headers={"x-api-key": "sfm_guess"}).status_code == 401
    refused = app.client.get("/v1/jobs", headers={"Authorization": "Bearer sfm_guess"})
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "40"
    assert refused.json()["error"]["code"] == "rate_limit_exceeded"
    # A valid key from the same address is never refused for others' guesses (behind a proxy, every
    # client shares one address); the guesses stay refused until the minute ends.
    assert app.client.get("/v1/jobs", headers=good).status_code == 200
    assert app.client.get("/v1/jobs", headers={"x-api-key": "sfm_guess"}).status_code == 429
    clock.advance(seconds=40)
    assert app.client.get("/v1/jobs", headers={"x-api-key": "sfm_guess"}).status_code == 401


def test_requests_without_a_key_are_not_guesses(app: Live) -> None:
    for _ in range(10):
        assert app.client.get("/v1/jobs").status_code == 401
    assert app.client.get("/v1/jobs", headers=app.key()).status_code == 200


def test_more_images_than_the_plan_allows_is_403_plan_forbidden_on_every_dialect(app: Live) -> None:
    starter = app.key("starter")
    for route, body in [
        ("/v1/jobs", BODY | {"n": 2}),
        ("/v1/images/generations", {"prompt": "x", "n": 2, "size": "256x256"}),
        ("/api/generate-image", {"prompt": "x", "n": 2, "width": 512, "height": 512}),
    ]:
        answer = app.client.post(route, json=body, headers=starter)
        assert answer.status_code == 403, (route, answer.text)
        assert answer.json()["error"] == {
            "message": "the starter plan allows at most 1 image a request",
            "type": "permission_error",
            "param": "n",
            "code": "plan_forbidden",
        }
    assert app.client.get("/v1/jobs", headers=starter).json()["data"] == []
    assert (
        app.client.post("/v1/jobs", json=BODY | {"n": 10}, headers=app.key(plan="professional")).status_code
        == 202
    )


def usage(app: Live, headers: dict[str, str]) -> dict:
    answer = app.client.get("/v1/usage", headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_the_monthly_quota_is_429_when_spent_until_the_utc_month_ends(app: Live, clock: ManualClock) -> None:
    headers = app.key("quota", plan="professional", monthly_images=5)
    assert app.client.post("/v1/jobs", json=BODY | {"n": 3}, headers=headers).status_code == 202
    over = app.client.post("/v1/jobs", json=BODY | {"n": 3}, headers=headers)
    assert over.status_code == 429
    assert (
        over.json()["error"]["code"] == "quota_exceeded"
        and over.json()["error"]["type"] == "rate_limit_error"
    )
    assert over.headers["Retry-After"] == "100"  # February starts 100 s after START, in UTC
    assert "renews on 2026-02-01" in over.json()["error"]["message"]
    assert app.client.post("/v1/jobs", json=BODY | {"n": 2}, headers=headers).status_code == 202  # exactly 5
    assert usage(app, headers)["images_used"] == 5 and usage(app, headers)["images_left"] == 0
    clock.advance(seconds=100)  # 2026-02-01T00:00:00Z
    assert app.client.post("/v1/jobs", json=BODY | {"n": 5}, headers=headers).status_code == 202
    february = usage(app, headers)
    assert (february["month"], february["images_used"], february["images_left"]) == ("2026-02", 5, 0)


def test_a_job_canceled_before_it_ran_gives_its_images_back(app: Live) -> None:
    headers = app.key("refund", plan="professional", monthly_images=4)
    job = app.client.post("/v1/jobs", json=BODY | {"n": 4}, headers=headers).json()
    assert app.client.post("/v1/jobs", json=BODY, headers=headers).status_code == 429
    assert app.client.post(f"/v1/jobs/{job['id']}/cancel", headers=headers).json()["status"] == "canceled"
    assert usage(app, headers)["images_used"] == 0
    second = app.client.post("/v1/jobs", json=BODY | {"n": 4}, headers=headers).json()
    assert app.client.delete(f"/api/v1/image/{second['id']}", headers=headers).status_code == 200
    assert usage(app, headers)["images_used"] == 0  # deleted before it ran: as if canceled


def test_usage_reports_the_plan_limits_and_what_is_left(app: Live) -> None:
    headers = app.key("usage", rpm=4)
    app.client.post("/v1/jobs", json=BODY, headers=headers)
    report = usage(app, headers)
    assert report == {
        "object": "usage",
        "key_id": report["key_id"],
        "plan": "starter",
        "limits": {
            "requests_per_minute": 4,
            "reads_per_minute": 5,
            "monthly_images": 500,
            "max_images_per_request": 1,
        },
        "month": "2026-01",
        "period_start": "2026-01-01T00:00:00Z",
        "period_end": "2026-02-01T00:00:00Z",
        "images_used": 1,
        "images_left": 499,
        "requests_left_this_minute": 3,
        "minute_resets_in": 40,
    }
    assert report["key_id"].startswith("key_")
