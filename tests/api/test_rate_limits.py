"""Rate limits: per key on generation (headers on every answer, 429 with Retry-After when spent), and
per address on wrong keys."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from sfumato.engine.pipeline import DiffusersEngine
from tests.conftest import SMALL, Live, make_settings, start_live

BODY = {"prompt": "x", **SMALL}


def test_generation_answers_carry_the_window_and_the_spent_minute_is_429(live: Live) -> None:
    headers = live.key("limited", rpm=2)
    first = live.client.post("/v1/jobs", json=BODY, headers=headers)
    second = live.client.post("/api/v1/image", json=BODY, headers=headers)  # every generation route counts
    assert first.status_code == 202 and second.status_code == 201
    assert [r.headers["RateLimit-Limit"] for r in (first, second)] == ["2", "2"]
    assert [r.headers["RateLimit-Remaining"] for r in (first, second)] == ["1", "0"]
    assert 1 <= int(second.headers["RateLimit-Reset"]) <= 60
    third = live.client.post("/v1/images/imagine", json=BODY | {"name": "n"}, headers=headers)
    assert third.status_code == 429
    error = third.json()["error"]
    assert (error["type"], error["code"]) == ("rate_limit_error", "rate_limit_exceeded")
    assert 1 <= int(third.headers["Retry-After"]) <= 60
    assert (third.headers["RateLimit-Limit"], third.headers["RateLimit-Remaining"]) == ("2", "0")


def test_reads_are_not_counted_and_other_keys_have_their_own_minute(live: Live) -> None:
    headers = live.key("one", rpm=1)
    assert live.client.post("/v1/jobs", json=BODY, headers=headers).status_code == 202
    for _ in range(5):
        listing = live.client.get("/v1/jobs", headers=headers)
        assert listing.status_code == 200 and "RateLimit-Limit" not in listing.headers
    assert live.client.post("/v1/jobs", json=BODY, headers=headers).status_code == 429
    assert live.client.post("/v1/jobs", json=BODY, headers=live.key("two", rpm=1)).status_code == 202


def test_without_an_override_the_plan_sets_the_limit(live: Live) -> None:
    starter = live.client.post("/v1/jobs", json=BODY, headers=live.key("s"))
    professional = live.client.post("/v1/jobs", json=BODY, headers=live.key("p", plan="professional"))
    assert (starter.headers["RateLimit-Limit"], professional.headers["RateLimit-Limit"]) == ("10", "30")


def test_an_invalid_request_counts_too_and_says_so(live: Live) -> None:
    answer = live.client.post("/v1/jobs", json={"prompt": "x", "width": 100}, headers=live.key("bad", rpm=5))
    assert answer.status_code == 400
    assert (answer.headers["RateLimit-Limit"], answer.headers["RateLimit-Remaining"]) == ("5", "4")


@pytest.fixture
def strict(tmp_path: Path, tiny_engine: DiffusersEngine) -> Iterator[Live]:
    settings = make_settings(tmp_path / "data", auth_failures_per_minute=3)
    yield from start_live(settings, tiny_engine, with_worker=False)


def test_wrong_keys_from_one_address_are_refused_after_the_minutes_allowance(strict: Live) -> None:
    good = strict.key()
    for _ in range(3):
        assert strict.client.get("/v1/jobs", headers={"x-api-key": "sfm_guess"}).status_code == 401
    refused = strict.client.get("/v1/jobs", headers={"Authorization": "Bearer sfm_guess"})
    assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.json()["error"]["code"] == "rate_limit_exceeded"
    # While it lasts, the address is refused whatever key it sends: a right guess gains nothing.
    assert strict.client.get("/v1/jobs", headers=good).status_code == 429


def test_requests_without_a_key_are_not_guesses(strict: Live) -> None:
    for _ in range(10):
        assert strict.client.get("/v1/jobs").status_code == 401
    assert strict.client.get("/v1/jobs", headers=strict.key()).status_code == 200
