"""A fair queue seen by clients (docs/api.md §18): priorities within a plan's bound, a key's queue cap, a
queued job's place and estimated start in GET /v1/jobs/{id}, on the events stream and in AUTOMATIC1111's
progress, and the queue by plan on /metrics. No worker runs here: the tests claim jobs as a worker would, on a
clock they move, so every place and estimate is known."""

import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from sfumato.db.claims import Wanted
from sfumato.engine.pipeline import DiffusersEngine
from tests.conftest import SMALL, Deployment, Live, ManualClock, start_live

TINY = Wanted(("tiny",))


@pytest.fixture
def app(
    deployment: Deployment, tmp_path: Path, tiny_engine: DiffusersEngine, clock: ManualClock
) -> Iterator[Live]:
    yield from start_live(deployment.settings(tmp_path / "data"), tiny_engine, clock=clock, with_worker=False)


def submit(app: Live, headers: dict[str, str], **fields: object) -> dict:
    answer = app.client.post("/v1/jobs", json={"prompt": "p", **SMALL, **fields}, headers=headers)
    assert answer.status_code == 202, answer.text
    return dict(answer.json())


def job(app: Live, headers: dict[str, str], job_id: str) -> dict:
    return dict(app.client.get(f"/v1/jobs/{job_id}", headers=headers).json())


def claim(app: Live, clock: ManualClock, jobs: int = 1) -> None:
    """A worker takes the next `jobs` jobs, one batch each; 3 s pass, so the service reads the rate of starts
    again (it keeps a rate for 2 s)."""
    for _ in range(jobs):
        assert app.services.queue.claim_batch("w", 1, wanted=TINY)
    clock.advance(seconds=3)


def at(moment: str) -> datetime:
    return datetime.fromisoformat(moment.replace("Z", "+00:00"))


def test_a_priority_past_the_keys_highest_is_403_and_nothing_is_stored_or_charged(app: Live) -> None:
    starter = app.key()  # the starter plan's highest is normal
    refused = app.client.post("/v1/jobs", json={"prompt": "p", **SMALL, "priority": "high"}, headers=starter)
    assert refused.status_code == 403
    assert (refused.json()["error"]["code"], refused.json()["error"]["param"]) == (
        "plan_forbidden",
        "priority",
    )
    assert app.client.get("/v1/jobs", headers=starter).json()["data"] == []
    assert app.client.get("/v1/usage", headers=starter).json()["images_used"] == 0
    assert submit(app, starter, priority="low")["params"]["priority"] == "low"
    assert submit(app, starter)["params"]["priority"] == "normal"
    submit(app, app.key(plan="professional"), priority="high")
    submit(app, app.key(admin=True), priority="high")  # the operator's keys: any priority
    lowly = app.key(plan="enterprise", max_priority="low")  # the key's own bound, below its plan's
    assert app.client.post("/v1/jobs", json={"prompt": "p", **SMALL}, headers=lowly).status_code == 403
    unknown = app.client.post("/v1/jobs", json={"prompt": "p", **SMALL, "priority": "urgent"}, headers=lowly)
    assert unknown.status_code == 400 and unknown.json()["error"]["param"] == "priority"


def test_a_key_past_its_queue_cap_is_429_queue_full_until_its_next_job_starts(
    app: Live, clock: ManualClock
) -> None:
    submit(app, app.key())
    claim(app, clock)  # one start in the last minute: one job a minute, the recent rate
    ahead = app.key()
    submit(app, ahead)  # turn 1
    capped = app.key(plan="professional", max_queued=2)  # weight 2: turns 1.5 and 2
    first = submit(app, capped)
    submit(app, capped)
    full = app.client.post("/v1/jobs", json={"prompt": "p", **SMALL}, headers=capped)
    assert full.status_code == 429
    assert (full.json()["error"]["code"], full.json()["error"]["type"]) == ("queue_full", "rate_limit_error")
    # Its next job has one job before it, at one job a minute: a place frees in 60 s.
    assert job(app, capped, first["id"])["queue_position"] == 1
    assert full.headers["retry-after"] == "60"
    assert len(app.client.get("/v1/jobs", headers=capped).json()["data"]) == 2  # nothing stored
    assert app.client.get("/v1/usage", headers=capped).json()["images_used"] == 2  # nothing charged
    submit(app, app.key())  # another key is not held back
    claim(app, clock, 2)  # the key's first job starts: a place is free
    submit(app, capped)


def test_a_queued_job_shows_its_place_and_it_counts_down_to_zero(app: Live, clock: ManualClock) -> None:
    flood = app.key()
    sent = [submit(app, flood)["id"] for _ in range(3)]  # turns 1, 2, 3
    later = app.key(plan="professional")
    mine = submit(app, later)  # weight 2: turn 1 + 1/2, after the flood's first job only
    assert (mine["queue_position"], mine["estimated_start_at"]) == (1, None)  # nothing started yet: no rate
    assert [job(app, flood, job_id)["queue_position"] for job_id in sent] == [0, 2, 3]
    listed = app.client.get("/v1/jobs", headers=later).json()["data"]
    assert listed[0]["queue_position"] is None  # lists do not read places
    claim(app, clock)
    now = job(app, later, mine["id"])
    assert now["queue_position"] == 0 and now["status"] == "queued"
    assert abs(at(now["estimated_start_at"]) - clock.now()) < timedelta(seconds=2)
    claim(app, clock)
    started = job(app, later, mine["id"])
    assert (started["status"], started["queue_position"], started["estimated_start_at"]) == (
        "processing",
        None,
        None,
    )
    # Two starts in the last minute: the flood's last job, one job before it, starts in 30 s.
    last = job(app, flood, sent[2])
    assert last["queue_position"] == 1
    assert abs(at(last["estimated_start_at"]) - (clock.now() + timedelta(seconds=30))) < timedelta(seconds=2)


def test_the_events_stream_says_queued_as_the_place_moves(app: Live, clock: ManualClock) -> None:
    flood = app.key()
    for _ in range(2):
        submit(app, flood)
    headers = app.key(plan="professional")
    mine = submit(app, headers)  # turn 1.5: one job before it
    seen: list[tuple[str, dict]] = []
    with app.client.stream("GET", f"/v1/jobs/{mine['id']}/events", headers=headers) as stream:
        event = None
        for line in stream.iter_lines():
            if line.startswith("event: "):
                event = line.removeprefix("event: ")
            elif line.startswith("data: ") and event is not None:
                seen.append((event, json.loads(line.removeprefix("data: "))))
                if len(seen) == 1:
                    claim(app, clock)  # the job before it starts
                elif event == "queued":
                    claim(app, clock)  # and now its own
                elif event == "progress":
                    key_id = app.services.keys.authenticate(headers["x-api-key"]).id
                    assert app.services.queue.cancel(mine["id"], key_id)
                    app.services.events.publish(mine["id"])
    kinds = [
        (kind, data.get("queue_position", data.get("job", {}).get("queue_position"))) for kind, data in seen
    ]
    assert kinds == [("progress", 1), ("queued", 0), ("progress", None), ("canceled", None)]
    assert seen[1][1]["job"]["id"] == mine["id"] and seen[2][1]["job"]["status"] == "processing"


def test_automatic1111s_progress_counts_the_wait_of_a_queued_job(app: Live, clock: ManualClock) -> None:
    """AUTOMATIC1111's modules/api/api.py (progressapi): `job_count` 0 means idle, which clients such as
    webuiapi wait for, and `eta_relative` is the seconds left."""
    submit(app, app.key())
    claim(app, clock)  # one start in the last minute
    ahead = app.key()
    submit(app, ahead)  # turn 1
    headers = app.key(plan="professional")
    for _ in range(2):
        submit(app, headers)  # turns 1.5 and 2: the first has one job before it
    progress = app.client.get("/sdapi/v1/progress", headers=headers).json()
    assert progress["progress"] == 0.0 and progress["state"]["job_count"] == 2
    assert progress["eta_relative"] == pytest.approx(60, abs=2)


def test_metrics_show_the_queue_by_plan(app: Live, clock: ManualClock) -> None:
    for plan, jobs in (("starter", 2), ("professional", 1)):
        headers = app.key(plan=plan)
        for _ in range(jobs):
            submit(app, headers)
    clock.advance(seconds=42)
    text = app.client.get("/metrics").text
    assert 'sfumato_queue_jobs{plan="starter"} 2.0' in text
    assert 'sfumato_queue_jobs{plan="professional"} 1.0' in text
    waits = {
        line.split('"')[1]: float(line.split()[-1])
        for line in text.splitlines()
        if line.startswith("sfumato_queue_wait_seconds{")
    }
    assert set(waits) == {"starter", "professional"} and all(42 <= wait < 44 for wait in waits.values())


def test_the_dashboards_job_page_shows_a_queued_jobs_place(app: Live, clock: ManualClock) -> None:
    flood = app.key()
    for _ in range(2):
        submit(app, flood)
    headers = app.key(plan="professional")
    mine = submit(app, headers)  # turn 1.5: one job before it
    form = app.client.get("/signin").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert csrf is not None
    signed = app.client.post("/signin", data={"api_key": headers["x-api-key"], "csrf_token": csrf.group(1)})
    assert signed.status_code == 200, signed.text  # followed to the studio
    assert "1 job before it in the queue" in app.client.get(f"/jobs/{mine['id']}").text
    claim(app, clock)
    page = app.client.get(f"/jobs/{mine['id']}").text
    assert "Next in the queue; expected to start by " in page
