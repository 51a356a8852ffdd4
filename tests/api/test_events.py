"""GET /v1/jobs/{id}/events (docs/api.md §13): progress, then exactly one ending event with the Job, then the
stream ends; another key's job is 404; a client that goes away leaves nothing behind. Both deployments."""

import base64
import io
import json

from PIL import Image

from tests.conftest import SMALL, Live, wait_until


def events_of(live: Live, job_id: str, headers: dict) -> list[tuple[str, dict]]:
    """Every event of the stream, read to its end."""
    found: list[tuple[str, dict]] = []
    with live.client.stream("GET", f"/v1/jobs/{job_id}/events", headers=headers) as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        event = None
        for line in stream.iter_lines():
            if line.startswith("event: "):
                event = line.removeprefix("event: ")
            elif line.startswith("data: ") and event is not None:
                found.append((event, json.loads(line.removeprefix("data: "))))
                event = None
    return found


def test_a_job_streams_its_progress_then_its_end_with_the_job(live: Live) -> None:
    headers = live.key(plan="professional")
    body = {"prompt": "a slow one", "width": 512, "height": 512, "steps": 24, "n": 2}
    job = live.client.post("/v1/jobs", json=body, headers=headers).json()
    events = events_of(live, job["id"], headers)
    kinds = [kind for kind, _ in events]
    assert kinds[-1] == "succeeded" and kinds.count("succeeded") == 1
    assert set(kinds[:-1]) == {"progress"} and len(kinds) >= 2
    steps = [data["step"] for kind, data in events if kind == "progress"]
    assert steps == sorted(steps) and {data["steps"] for kind, data in events if kind == "progress"} == {24}
    progress = [data for kind, data in events if kind == "progress"]
    assert all(0 <= data["progress"] <= 1 and data["job"]["id"] == job["id"] for data in progress)
    ended = events[-1][1]
    assert (ended["id"], ended["object"], ended["status"], len(ended["images"])) == (
        job["id"],
        "job",
        "succeeded",
        2,
    )


def test_a_canceled_job_ends_its_stream_canceled(live: Live) -> None:
    headers = live.key()
    job = live.client.post(
        "/v1/jobs", json={"prompt": "never", "width": 1024, "height": 1024, "steps": 50}, headers=headers
    ).json()
    live.client.post(f"/v1/jobs/{job['id']}/cancel", headers=headers)
    events = events_of(live, job["id"], headers)
    assert [kind for kind, _ in events] == ["canceled"] and events[0][1]["status"] == "canceled"


def test_an_ended_job_answers_its_end_at_once(live: Live) -> None:
    headers = live.key()
    job = live.client.post(
        "/v1/jobs", json={"prompt": "quick", **SMALL}, headers=headers | {"Prefer": "wait=60"}
    ).json()
    assert [kind for kind, _ in events_of(live, job["id"], headers)] == ["succeeded"]


def test_another_keys_job_is_404_in_the_envelope(live: Live) -> None:
    owner, stranger = live.key(), live.key()
    job = live.client.post("/v1/jobs", json={"prompt": "mine", **SMALL}, headers=owner).json()
    answer = live.client.get(f"/v1/jobs/{job['id']}/events", headers=stranger)
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "not_found"
    assert live.client.get("/v1/jobs/job_nope/events").status_code == 401


def test_a_client_that_goes_away_leaves_nothing_behind(live: Live) -> None:
    headers = live.key()
    body = {"prompt": "long", "width": 512, "height": 512, "steps": 16}
    job = live.client.post("/v1/jobs", json=body, headers=headers).json()
    with live.client.stream("GET", f"/v1/jobs/{job['id']}/events", headers=headers) as stream:
        next(stream.iter_lines())  # the first event's first line, then gone
    hub = live.services.events
    wait_until(lambda: job["id"] not in hub._waiters, 10)  # its subscription is gone with it

    def status() -> str:
        return str(live.client.get(f"/v1/jobs/{job['id']}", headers=headers).json()["status"])

    wait_until(lambda: status() == "succeeded", 120)  # the job itself goes on


def test_a_job_that_asks_for_previews_shows_them_as_it_goes(live: Live) -> None:
    headers = live.key()
    body = {"prompt": "slowly", "width": 512, "height": 512, "steps": 16, "previews": True}
    job = live.client.post("/v1/jobs", json=body, headers=headers).json()
    assert "previews" not in job["params"]  # how it is watched is not what it makes
    events = events_of(live, job["id"], headers)
    shown = [data["preview"] for kind, data in events if kind == "progress" and data["preview"]]
    assert shown, [kind for kind, _ in events]
    assert Image.open(io.BytesIO(base64.b64decode(shown[0]))).size == (64, 64)  # the latents' size
    plain = live.client.post("/v1/jobs", json=body | {"previews": False}, headers=headers).json()
    assert all(
        data["preview"] is None for kind, data in events_of(live, plain["id"], headers) if kind == "progress"
    )


def test_a_key_past_its_plans_open_streams_is_429_and_another_key_is_not(live: Live) -> None:
    headers, other = live.key(), live.key()  # starter keys: 10 streams each
    job = live.client.post("/v1/jobs", json={"prompt": "held", **SMALL}, headers=headers).json()
    key = live.services.access.remembered(headers["x-api-key"]) or live.services.keys.authenticate(
        headers["x-api-key"]
    )
    held = [live.services.watches.stream_of(key) for _ in range(10)]
    for slot in held:
        slot.__enter__()  # ten streams of this key open elsewhere in this process
    try:
        refused = live.client.get(f"/v1/jobs/{job['id']}/events", headers=headers)
        assert refused.status_code == 429 and refused.json()["error"]["code"] == "too_many_streams"
        assert int(refused.headers["retry-after"]) > 0
        theirs = live.client.post("/v1/jobs", json={"prompt": "free", **SMALL}, headers=other).json()
        assert events_of(live, theirs["id"], other)[-1][0] == "succeeded"
    finally:
        for slot in held:
            slot.__exit__(None, None, None)
    assert events_of(live, job["id"], headers)[-1][0] == "succeeded"  # a place again
    assert live.services.watches.open_streams(key.id) == 0  # each stream gave its place back
