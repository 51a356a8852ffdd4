"""Per-key generation rate limits: headers on every generation answer, 429 with Retry-After when spent."""

from tests.conftest import SMALL, Live

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
