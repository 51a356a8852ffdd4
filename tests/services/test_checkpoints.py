"""The background checkpoint of an API process on SQLite (the database's part: tests/db/test_database.py)."""

import asyncio
from typing import Any

import pytest

from sfumato.db.database import Database
from sfumato.services.checkpoints import checkpoint_every
from tests.conftest import Live, wait_until


class Counting:
    """A database whose first checkpoint fails and whose later ones are counted."""

    def __init__(self) -> None:
        self.tries = 0
        self.taken = asyncio.Event()

    def checkpoint(self) -> tuple[int, int]:
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

    def recorded() -> tuple[int, int] | None:
        result = checkpoint()
        taken.append(result)
        return result

    monkeypatch.setattr(db, "checkpoint", recorded)
    live.client.post("/v1/jobs", json={"prompt": "a kite", "width": 256, "height": 256}, headers=live.key())
    wait_until(lambda: len(taken) >= 2)
    assert all(result is not None for result in taken)
