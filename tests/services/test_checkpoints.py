"""The background checkpoint of an API process on SQLite (the database's part: tests/db/test_database.py)."""

import asyncio
from typing import Any

import pytest
from sqlalchemy import text

from sfumato.config import Settings
from sfumato.db.database import AUTOCHECKPOINT_PAGES, Database
from sfumato.roots.worker import build_worker_root
from sfumato.services.checkpoints import RESTART_PAST_FRAMES, checkpoint_every
from tests.conftest import Live, wait_until


class Counting:
    """A database whose first checkpoint fails and whose later ones are counted."""

    def __init__(self) -> None:
        self.tries = 0
        self.taken = asyncio.Event()

    def checkpoint(self, *, restart_past: int | None = None) -> tuple[int, int]:
        self.tries += 1
        if self.tries == 1:
            raise OSError("disk I/O error")
        if self.tries >= 3:
            self.taken.set()
        return (0, 0)


@pytest.mark.anyio
async def test_a_failed_checkpoint_is_logged_and_the_next_one_still_taken(
    caplog: pytest.LogCaptureFixture,
) -> None:
    db = Counting()
    loop = asyncio.create_task(checkpoint_every(db, 0))  # type: ignore[arg-type]
    try:
        await asyncio.wait_for(db.taken.wait(), 30)
    finally:
        loop.cancel()
    assert db.tries >= 3
    assert "the SQLite checkpoint failed" in caplog.text


@pytest.mark.embedded
def test_an_api_process_on_sqlite_checkpoints_its_wal_by_itself(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    db: Database = live.services.db
    taken: list[Any] = []
    checkpoint = db.checkpoint

    def recorded(*, restart_past: int | None = None) -> tuple[int, int] | None:
        result = checkpoint(restart_past=restart_past)
        taken.append((restart_past, result))
        return result

    monkeypatch.setattr(db, "checkpoint", recorded)
    live.client.post("/v1/jobs", json={"prompt": "a kite", "width": 256, "height": 256}, headers=live.key())
    wait_until(lambda: len(taken) >= 2)
    assert all(bound == RESTART_PAST_FRAMES and result is not None for bound, result in taken)


def autocheckpoint(db: Database) -> int:
    with db.engine.connect() as connection:
        return int(connection.execute(text("PRAGMA wal_autocheckpoint")).scalar_one())


@pytest.mark.embedded
def test_an_api_process_checkpoints_in_no_commit_a_client_waits_for(live: Live, settings: Settings) -> None:
    # Requests' commits take no checkpoint; the sweeper's, through its own handle, do past the bound (SQLite
    # runs it after the write lock is released: only the sweeper waits). A worker process has no task of its
    # own and keeps the bound: only its own commit waits.
    services = live.services
    assert services.sweeper_db is not None and services.sweeper_db is not services.db
    assert autocheckpoint(services.db) == 0
    assert autocheckpoint(services.sweeper_db) == AUTOCHECKPOINT_PAGES
    assert services.retention.images.db is services.retention.jobs.db is services.sweeper_db
    worker = build_worker_root(settings)
    try:
        assert not hasattr(worker, "sweeper_db")
        assert autocheckpoint(worker.db) == AUTOCHECKPOINT_PAGES
    finally:
        worker.close()


@pytest.mark.scaled_out
def test_on_postgresql_the_sweeper_shares_the_process_database(live: Live) -> None:
    assert live.services.sweeper_db is None
    assert live.services.retention.images.db is live.services.db
