"""The fleet's models over HTTP (docs/api.md §15), on an API process with no worker of its own, as a
scaled-out API is: `/v1/models` lists what live workers' heartbeats say they serve (and this process's own
models, first), each with `loaded`; a job of a catalogue model no live worker serves is queued and says in
`warnings` that it waits for a worker of it, until one is heard from; `/readyz` lists the models queued jobs
ask for that no live worker serves, and stays ready; a plan's `models` limits what its keys use."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from sfumato.db.workers import WorkerStore
from sfumato.domain.fleet import Heartbeat
from tests.api.test_errors import assert_envelope
from tests.conftest import SMALL, Deployment, Live, start_live

ONLY_TINY = {  # a plan whose keys may use `tiny` alone
    "monthly_images": None,
    "requests_per_minute": 1000,
    "reads_per_minute": 1000,
    "max_images_per_request": 4,
    "models": ["tiny"],
}


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, deployment: Deployment) -> Iterator[Live]:
    settings = deployment.settings(tmp_path_factory.mktemp("fleet"), plans={"only-tiny": ONLY_TINY})
    for live in start_live(settings, None, with_worker=False):
        live.services.fleet.cache_seconds = 0  # polls read the heartbeats afresh: no waiting in the tests
        yield live


@pytest.fixture
def workers(api: Live) -> Iterator[WorkerStore]:
    """The heartbeats of workers elsewhere, as the tests write them; gone after each test."""
    store = WorkerStore(api.services.db)
    yield store
    for beat in store.seen_since(datetime(2000, 1, 1, tzinfo=UTC)):
        store.leave(beat.name)


def heard(store: WorkerStore, name: str, models: list[str], loaded: list[str], ago: float = 0) -> None:
    now = datetime.now(UTC) - timedelta(seconds=ago)
    store.beat(Heartbeat(name, models, loaded, now, now), forget_before=now - timedelta(hours=1))


def test_models_lists_what_live_workers_serve_and_which_are_loaded(api: Live, workers: WorkerStore) -> None:
    heard(workers, "gpu-1", ["tiny-flux", "tiny-sd3"], ["tiny-flux"])
    heard(workers, "gpu-2", ["tiny-flux"], [])
    heard(workers, "gone", ["sdxl-turbo"], ["sdxl-turbo"], ago=16)  # three beats of 5 s missed
    listed = api.client.get("/v1/models", headers=api.key()).json()["data"]
    shown = [(model["id"], model["workers"], model["loaded"], model["family"]) for model in listed]
    assert shown == [
        ("tiny", 0, False, "sdxl"),  # this process's default: listed, though no worker serves it now
        ("tiny-flux", 2, True, "flux"),
        ("tiny-sd3", 1, False, "sd3"),
    ]
    sd3 = listed[2]
    assert (sd3["license"], sd3["open_license"], sd3["default_steps"], sd3["min_side"]) == (
        "Apache-2.0",
        True,
        4,
        256,
    )


def test_a_job_of_a_model_no_live_worker_serves_is_queued_and_says_it_waits(
    api: Live, workers: WorkerStore
) -> None:
    headers = api.key()
    body = {"prompt": "x", "model": "tiny-sd3", **SMALL}
    created = api.client.post("/v1/jobs", json=body, headers=headers)
    assert created.status_code == 202
    job = created.json()
    assert job["status"] == "queued"
    assert any("no worker of model tiny-sd3" in warning for warning in job["warnings"]), job["warnings"]
    heard(workers, "gpu-1", ["tiny-sd3"], [])  # a worker of it starts
    again = api.client.get(f"/v1/jobs/{job['id']}", headers=headers).json()
    assert again["status"] == "queued" and not any("no worker" in w for w in again["warnings"])
    api.client.post(f"/v1/jobs/{job['id']}/cancel", headers=headers)


def test_readyz_lists_the_models_queued_jobs_wait_for_and_stays_ready(
    api: Live, workers: WorkerStore
) -> None:
    headers = api.key()
    heard(workers, "gpu-1", ["tiny-flux"], [])
    jobs = [
        api.client.post("/v1/jobs", json={"prompt": "x", "model": model, **SMALL}, headers=headers).json()
        for model in ("flux-random", "tiny-flux", "tiny")
    ]
    ready = api.client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["unserved_models"] == ["flux-random", "tiny"]  # tiny: no worker here, none elsewhere
    for job in jobs:
        api.client.post(f"/v1/jobs/{job['id']}/cancel", headers=headers)
    assert api.client.get("/readyz").json()["unserved_models"] == []


def test_a_plan_limits_the_models_its_keys_use(api: Live, workers: WorkerStore) -> None:
    heard(workers, "gpu-1", ["tiny-flux"], ["tiny-flux"])
    limited = api.key(plan="only-tiny")
    refused = api.client.post(
        "/v1/jobs", json={"prompt": "x", "model": "tiny-flux", **SMALL}, headers=limited
    )
    error = assert_envelope(refused, 403, "permission_error", "plan_forbidden", "model")
    assert "only-tiny plan does not include model 'tiny-flux'" in error["message"]
    allowed = api.client.post("/v1/jobs", json={"prompt": "x", "model": "tiny", **SMALL}, headers=limited)
    assert allowed.status_code == 202
    api.client.post(f"/v1/jobs/{allowed.json()['id']}/cancel", headers=limited)
    listed = api.client.get("/v1/models", headers=limited).json()["data"]
    assert [model["id"] for model in listed] == ["tiny"]
    everyone = api.client.get("/v1/models", headers=api.key()).json()["data"]
    assert [model["id"] for model in everyone] == ["tiny", "tiny-flux"]
