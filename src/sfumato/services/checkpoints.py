"""SQLite's WAL checkpoints taken off the requests (docs/architecture.md, "Cost as the data grows").

In WAL mode each commit appends pages to the WAL, and SQLite copies them back into the database file
in the commit that grows the WAL past a bound: whichever commit that is, a submission's included, waits
for the copy, which on a large database takes longer than the write itself. An API process on SQLite
copies them sooner, every CHECKPOINT_SECONDS from a thread, so that no request's commit does.
"""

import asyncio
import logging

import anyio

from sfumato.db.database import Database

log = logging.getLogger(__name__)
CHECKPOINT_SECONDS = 0.25  # the sweeper's steps add a few hundred pages a second at most


async def checkpoint_every(db: Database, seconds: float = CHECKPOINT_SECONDS) -> None:
    """Checkpoint every `seconds`; a failure is logged and the next one tries again."""
    while True:
        try:
            await anyio.to_thread.run_sync(db.checkpoint)
        except Exception:
            log.exception("the SQLite checkpoint failed; trying again at the next one")
        await asyncio.sleep(seconds)
