"""Idempotency-Key: a retry creates nothing more, another body under the same key is refused."""

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from sfumato.engine.pipeline import DiffusersEngine
from tests.conftest import SMALL, Deployment, Live, ManualClock, start_live

BODY = {"prompt": "a cat", **SMALL}


def jobs_of(live: Live, headers: dict[str, str]) -> list[dict]:
    return live.client.get("/v1/jobs", headers=headers).json()["data"]


def test_a_retry_returns_the_first_job_and_creates_nothing(live: Live) -> None:
    headers = live.key() | {"Idempotency-Key": "order-1"}
    first = live.client.post("/v1/jobs", json=BODY, headers=headers)
    retry = live.client.post("/v1/jobs", json=BODY, headers=headers)
    assert first.status_code == retry.status_code == 202
    assert retry.json()["id"] == first.json()["id"]
    assert "Idempotent-Replayed" not in first.headers and retry.headers["Idempotent-Replayed"] == "true"
    assert len(jobs_of(live, headers)) == 1


def test_the_same_key_with_another_body_is_409(live: Live) -> None:
    headers = live.key() | {"Idempotency-Key": "order-2"}
    assert live.client.post("/v1/jobs", json=BODY, headers=headers).status_code == 202
    other = live.client.post("/v1/jobs", json=BODY | {"prompt": "a dog"}, headers=headers)
    assert other.status_code == 409
    error = other.json()["error"]
    assert (error["type"], error["code"], error["param"]) == (
        "conflict_error",
        "idempotency_key_reused",
        "Idempotency-Key",
    )
    assert len(jobs_of(live, headers)) == 1


def test_the_same_key_on_another_route_is_another_request(live: Live) -> None:
    # The very same body on both routes: only the route tells the two requests apart.
    headers, body = live.key() | {"Idempotency-Key": "order-3"}, BODY | {"name": "n"}
    assert live.client.post("/v1/jobs", json=body, headers=headers).status_code == 202
    imagine = live.client.post("/v1/images/imagine", json=body, headers=headers)
    assert imagine.status_code == 409 and imagine.json()["error"]["code"] == "idempotency_key_reused"


def test_keys_are_per_api_key(live: Live) -> None:
    one, two = live.key("one") | {"Idempotency-Key": "k"}, live.key("two") | {"Idempotency-Key": "k"}
    a = live.client.post("/v1/jobs", json=BODY, headers=one).json()["id"]
    b = live.client.post("/v1/jobs", json=BODY, headers=two).json()["id"]
    assert a != b


def test_a_synchronous_retry_answers_the_same_image(live: Live) -> None:
    headers = live.key() | {"Idempotency-Key": "sync-1"}
    first = live.client.post("/v1/images/imagine", json=BODY | {"name": "n"}, headers=headers)
    retry = live.client.post("/v1/images/imagine", json=BODY | {"name": "n"}, headers=headers)
    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json() and retry.headers["Idempotent-Replayed"] == "true"


def test_twenty_concurrent_duplicates_create_one_job(live: Live) -> None:
    headers = live.key("burst", rpm=1000) | {"Idempotency-Key": "burst"}  # the rate limit is not on trial
    answers: list[str] = []
    start = threading.Barrier(20)

    def post() -> None:
        start.wait()
        answers.append(live.client.post("/api/v1/image", json=BODY, headers=headers).json()["job_id"])

    threads = [threading.Thread(target=post) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == 20 and len(set(answers)) == 1
    assert len(jobs_of(live, headers)) == 1


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/image", BODY),
        ("/api/generate-image", {"prompt": "a cat", "width": 512, "height": 512}),
        ("/v1/images/generations", {"prompt": "a cat", "size": "256x256"}),
    ],
)
def test_every_dialect_honours_it(live: Live, path: str, body: dict) -> None:
    headers = live.key() | {"Idempotency-Key": "dialect"}
    first = live.client.post(path, json=body, headers=headers)
    retry = live.client.post(path, json=body, headers=headers)
    assert first.status_code < 300, first.text
    earlier, again = first.json(), retry.json()
    earlier.pop("created", None), again.pop("created", None)  # OpenAI's answer time differs, not its images
    assert again == earlier
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert len(jobs_of(live, headers)) == 1


def test_a_deleted_job_frees_its_key(live: Live) -> None:
    headers = live.key() | {"Idempotency-Key": "again"}
    first = live.client.post("/api/v1/image", json=BODY, headers=headers).json()["job_id"]
    assert live.client.delete(f"/api/v1/image/{first}", headers=headers).status_code == 200
    second = live.client.post("/api/v1/image", json=BODY, headers=headers).json()["job_id"]
    assert second != first


def test_an_overlong_key_is_400(live: Live) -> None:
    answer = live.client.post("/v1/jobs", json=BODY, headers=live.key() | {"Idempotency-Key": "k" * 256})
    assert answer.status_code == 400 and answer.json()["error"]["param"] == "Idempotency-Key"


@pytest.fixture
def timed(
    deployment: Deployment, tmp_path: Path, tiny_engine: DiffusersEngine, clock: ManualClock
) -> Iterator[Live]:
    yield from start_live(deployment.settings(tmp_path / "data"), tiny_engine, clock=clock, with_worker=False)


def test_a_key_is_kept_for_a_day(timed: Live, clock: ManualClock) -> None:
    headers = timed.key() | {"Idempotency-Key": "daily"}
    first = timed.client.post("/v1/jobs", json=BODY, headers=headers).json()["id"]
    clock.advance(hours=23)
    assert timed.client.post("/v1/jobs", json=BODY, headers=headers).json()["id"] == first
    clock.advance(hours=2)
    later = timed.client.post("/v1/jobs", json=BODY | {"prompt": "another"}, headers=headers)
    assert later.status_code == 202 and later.json()["id"] != first
