"""When the images cannot be stored or the database takes no writes, clients get a code and words they can
act on (storage_full, storage_unavailable, database_read_only; docs/api.md §4), never a path or the
system's text; /readyz says what cannot be written; reads go on; nothing stored before is lost."""

import errno
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import event, text

from sfumato.engine.pipeline import DiffusersEngine
from tests.conftest import SMALL, Deployment, Live, make_settings, start_live

WAIT = {"Prefer": "wait=60"}


@pytest.fixture
def embedded(tmp_path: Path, tiny_engine: DiffusersEngine) -> Iterator[Live]:
    """A full disk is a local folder's (S3's refusals: tests/storage/test_s3.py)."""
    yield from start_live(make_settings(tmp_path / "data"), tiny_engine)


@pytest.fixture
def app(deployment: Deployment, tmp_path: Path, tiny_engine: DiffusersEngine) -> Iterator[Live]:
    """An app of the test's own: its storage or database is broken on purpose."""
    yield from start_live(deployment.settings(tmp_path / "data"), tiny_engine)


def _assert_no_detail(text_: str, *hidden: str) -> None:
    for word in ("Errno", "Error", "Traceback", "/tmp", "OSError", *hidden):
        assert word not in text_, text_


def test_a_full_image_store_fails_the_job_with_storage_full_and_says_so_in_readyz(
    embedded: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = embedded
    headers = app.key(plan="professional")
    kept = app.client.post("/v1/jobs", json={"prompt": "before", **SMALL}, headers=headers | WAIT).json()
    assert kept["status"] == "succeeded"

    def full(*_args: object, **_kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", "/srv/secret/images/tmp")

    monkeypatch.setattr("sfumato.storage.local.tempfile.mkstemp", full)
    job = app.client.post("/v1/jobs", json={"prompt": "after", **SMALL}, headers=headers | WAIT).json()
    assert job["status"] == "failed"
    assert job["error"]["code"] == "storage_full"
    _assert_no_detail(str(job["error"]), "secret")
    transform = app.client.post(
        f"/v1/images/{kept['images'][0]['id']}/transform", json={"format": "jpeg"}, headers=headers
    )
    assert transform.status_code == 507 and transform.json()["error"]["code"] == "storage_full"
    _assert_no_detail(transform.text, "secret")
    ready = app.client.get("/readyz")
    assert ready.status_code == 503 and ready.json()["checks"]["storage"] == "cannot write: full"
    # Nothing stored before is lost; once there is room, it works and is ready again.
    assert app.client.get(f"/v1/images/{kept['images'][0]['id']}/content", headers=headers).status_code == 200
    monkeypatch.undo()
    again = app.client.post("/v1/jobs", json={"prompt": "room", **SMALL}, headers=headers | WAIT).json()
    assert again["status"] == "succeeded"
    assert app.client.get("/readyz").status_code == 200


def _read_only(app: Live, deployment: Deployment) -> None:
    """Every new connection of the app's database takes no writes: SQLite's query_only, PostgreSQL's
    default_transaction_read_only (what a read-only replica or a full disk's refusals look like)."""
    db = app.services.db
    if deployment.scaled:
        with db.engine.connect() as connection:
            name = connection.execute(text("SELECT current_database()")).scalar_one()
            connection.execute(text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on'))
            connection.commit()
    else:

        @event.listens_for(db.engine, "connect")
        def _query_only(dbapi_connection: object, _record: object) -> None:
            dbapi_connection.execute("PRAGMA query_only = ON")  # type: ignore[attr-defined]

    db.engine.dispose()


def test_a_database_that_takes_no_writes_is_503_database_read_only_and_reads_go_on(
    app: Live, deployment: Deployment
) -> None:
    headers = app.key()
    kept = app.client.post("/v1/jobs", json={"prompt": "before", **SMALL}, headers=headers | WAIT).json()
    assert kept["status"] == "succeeded"
    _read_only(app, deployment)
    refused = app.client.post("/v1/jobs", json={"prompt": "after", **SMALL}, headers=headers)
    assert refused.status_code == 503, refused.text
    assert refused.json()["error"]["code"] == "database_read_only" and "Retry-After" in refused.headers
    _assert_no_detail(refused.text, "readonly", "25006")
    listed = app.client.get("/v1/jobs", headers=headers)
    assert listed.status_code == 200 and [job["id"] for job in listed.json()["data"]] == [kept["id"]]
    ready = app.client.get("/readyz")
    assert ready.status_code == 503 and ready.json()["checks"]["database"] == "cannot write: read-only"
