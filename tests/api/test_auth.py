from typing import Any

import pytest

from sfumato.http import access
from tests.conftest import SMALL, Live


def test_the_key_is_accepted_as_x_api_key(live: Live) -> None:
    assert live.client.get("/v1/jobs", headers=live.key()).status_code == 200


def test_the_key_is_accepted_as_a_bearer_token(live: Live) -> None:
    raw = live.key()["x-api-key"]
    assert live.client.get("/v1/jobs", headers={"Authorization": f"Bearer {raw}"}).status_code == 200


@pytest.mark.parametrize(
    "headers",
    [{}, {"x-api-key": "sfm_wrong"}, {"Authorization": "Bearer sfm_wrong"}, {"Authorization": "Basic abc"}],
)
def test_missing_or_wrong_keys_are_401(live: Live, headers: dict) -> None:
    response = live.client.get("/v1/images", headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "authentication_error"
    assert response.json()["error"]["code"] == "invalid_api_key"
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    ("method", "route"),
    [
        ("GET", "/v1/models"),
        ("GET", "/v1/styles"),
        ("POST", "/v1/jobs"),
        ("POST", "/v1/images/imagine"),
        ("GET", "/v1/images/image_x/content"),
        ("POST", "/v1/jobs/job_x/cancel"),
    ],
)
def test_every_v1_route_needs_a_key(live: Live, method: str, route: str) -> None:
    assert live.client.request(method, route, json={"prompt": "x", "name": "n"}).status_code == 401


def test_a_revoked_key_is_refused_from_the_next_request(live: Live) -> None:
    key, raw = live.services.keys.create("leaving")
    headers = {"x-api-key": raw}
    assert live.client.get("/v1/jobs", headers=headers).status_code == 200
    live.services.keys.revoke(key.id)
    assert live.client.get("/v1/jobs", headers=headers).status_code == 401


def test_health_checks_need_no_key(live: Live) -> None:
    assert live.client.get("/healthz").json() == {"status": "ok"}
    assert live.client.get("/readyz").status_code == 200


def test_a_key_read_a_moment_ago_costs_its_next_request_no_thread_hop(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    hops: list[str] = []
    real = access.in_thread

    async def counted(function: Any, *args: Any, **kwargs: Any) -> Any:
        hops.append(getattr(function, "__name__", "?"))
        return await real(function, *args, **kwargs)

    monkeypatch.setattr(access, "in_thread", counted)
    key, raw = live.services.keys.create("poller")
    headers = {"x-api-key": raw}
    assert live.client.get("/v1/usage", headers=headers).status_code == 200
    assert hops == ["authorize"]  # read from the database, in a thread
    assert live.client.get("/v1/usage", headers=headers).status_code == 200
    # Remembered: on the embedded deployment (counters in memory) the key costs no hop at all; with
    # Redis the counter is a round trip, so it still goes to a thread.
    assert hops == (["authorize", "authorize"] if live.services.limits.remote else ["authorize"])
    job = live.client.post("/v1/jobs", json={"prompt": "counted", **SMALL}, headers=headers)
    assert job.status_code == 202 and job.headers["ratelimit-remaining"]  # counted as a generation
    # A submission is counted in memory too: its one hop is the submission's own.
    assert hops == (["authorize"] * 3 if live.services.limits.remote else ["authorize"])
    live.services.keys.revoke(key.id)
    assert live.client.get("/v1/usage", headers=headers).status_code == 401  # forgotten at once
