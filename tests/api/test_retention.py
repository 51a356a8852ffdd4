"""Retention on a moved clock: an image expires SFUMATO_RETENTION_DAYS after it was made; its key,
published and access URLs stop at once, the sweeper deletes its file and row, and several sweepers
at once delete each thing once. Deleting a job or an image leaves nothing on disk."""

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from sfumato.db.database import Database
from sfumato.db.images import ImageStore
from sfumato.db.jobs import JobStore
from sfumato.engine.pipeline import DiffusersEngine
from sfumato.services.retention import RetentionSweeper, Swept
from sfumato.services.startup import storage_of
from tests.conftest import SMALL, Deployment, Live, ManualClock, all_at_once, start_live


@pytest.fixture
def app(
    deployment: Deployment, tmp_path: Path, tiny_engine: DiffusersEngine, clock: ManualClock
) -> Iterator[Live]:
    settings = deployment.settings(tmp_path / "data", retention_days=30, lease_seconds=3600.0)
    yield from start_live(settings, tiny_engine, clock=clock)


def files(live: Live) -> list[str]:
    return live.stored()


def make(live: Live, headers: dict[str, str], n: int = 1) -> dict:
    job = live.client.post(
        "/v1/jobs", json={"prompt": "x", "n": n, **SMALL}, headers=headers | {"Prefer": "wait=60"}
    ).json()
    assert job["status"] == "succeeded", job
    return job


def test_an_expired_image_stops_everywhere_at_once_and_the_sweep_removes_its_file(
    app: Live, clock: ManualClock
) -> None:
    headers = app.key(plan="professional")
    job = make(app, headers, n=2)
    image = job["images"][0]
    published = app.client.post(f"/v1/images/{image['id']}/publish", headers=headers).json()["url"]
    access = app.client.post(
        "/v1/images/generations",
        json={"prompt": "y", "size": "256x256", "response_format": "url"},
        headers=headers,
    ).json()["data"][0]["url"]
    published_path, access_path = (url.split("testserver", 1)[1] for url in (published, access))
    assert (
        app.client.get(published_path).status_code == 200 and app.client.get(access_path).status_code == 200
    )
    assert image["expires_at"] == "2026-02-14T12:00:00Z"  # made at 2026-01-15T12:00, kept 30 days

    clock.advance(days=30, seconds=1)
    for path in (
        published_path,
        access_path,
        f"/v1/images/{image['id']}",
        f"/v1/images/{image['id']}/content",
    ):
        assert app.client.get(path, headers=headers).status_code == 404, path
    assert app.client.get("/v1/images", headers=headers).json()["data"] == []
    assert len(files(app)) > 0  # hidden at once; the files go at the sweep

    swept = app.services.retention.sweep()
    assert (swept.images, swept.jobs) == (3, 2)  # the jobs, as old, go with their last image
    assert files(app) == []
    assert app.client.get(f"/v1/jobs/{job['id']}", headers=headers).status_code == 404
    assert app.services.retention.sweep().images == 0


def test_images_within_their_days_are_kept(app: Live, clock: ManualClock) -> None:
    headers = app.key()
    image = make(app, headers)["images"][0]
    clock.advance(days=29, hours=23)
    assert app.services.retention.sweep().images == 0
    assert app.client.get(f"/v1/images/{image['id']}/content", headers=headers).status_code == 200


def test_several_sweepers_at_once_delete_each_image_once(app: Live, clock: ManualClock) -> None:
    headers = app.key(plan="professional")
    for _ in range(3):
        make(app, headers, n=4)
    clock.advance(days=31)
    # As in several processes: each sweeper with its own connections and its own storage handle.
    settings = app.services.settings
    databases = [Database(settings.database_url) for _ in range(4)]
    sweepers = iter(
        [
            RetentionSweeper(ImageStore(db), JobStore(db), storage_of(settings), clock, retention_days=30)
            for db in databases
        ]
    )
    lock = threading.Lock()

    def sweep() -> Swept:
        with lock:
            sweeper = next(sweepers)
        return sweeper.sweep()

    try:
        swept, errors = all_at_once(4, sweep)
    finally:
        for db in databases:
            db.dispose()
    assert errors == [] and sum(s.images for s in swept) == 12 and sum(s.jobs for s in swept) == 3
    assert files(app) == []


def test_deleting_a_job_or_an_image_leaves_no_file_behind(app: Live) -> None:
    headers = app.key(plan="professional")
    job = make(app, headers, n=3)
    other = make(app, headers)
    transformed = app.client.post(
        f"/v1/images/{job['images'][0]['id']}/transform", json={"format": "jpeg"}, headers=headers
    )
    assert transformed.status_code == 201
    assert app.client.delete(f"/api/v1/image/{job['id']}", headers=headers).status_code == 200
    assert app.client.delete(f"/v1/images/{other['images'][0]['id']}", headers=headers).status_code == 200
    assert files(app) == []
