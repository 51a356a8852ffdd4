"""SQLite's WAL checkpoints taken off the requests (docs/architecture.md, "Cost as the data grows").

In WAL mode each commit appends pages to the WAL, and by default SQLite copies them back into the database
file after any commit that finds the WAL past a bound of frames since it last started over: on a busy
database, after every commit, a submission's included, which then waits for the copy's fsyncs. In an API
process on SQLite no commit a client waits for takes one (sfumato/roots/api.py): the sweeper's commits do,
and this task, every CHECKPOINT_SECONDS from a thread.
"""

import asyncio
import logging
from functools import partial

import anyio

from sfumato.db.database import Database

log = logging.getLogger(__name__)
CHECKPOINT_SECONDS = 0.25  # the sweeper's steps add a few hundred pages a second at most
# The WAL starts over only after a checkpoint that copied everything; while the sweeper runs, its own commits'
# checkpoints get there. Past this many frames (about 400 MB) without, a RESTART checkpoint makes it, holding
# writers off meanwhile (at 10,000 measured: 5 of 3,667 submissions held past 50 ms at a million jobs).
RESTART_PAST_FRAMES = 100_000


async def checkpoint_every(
    db: Database, seconds: float = CHECKPOINT_SECONDS, restart_past: int = RESTART_PAST_FRAMES
) -> None:
    """Checkpoint every `seconds`; a failure is logged and the next one tries again."""
    while True:
        try:
            await anyio.to_thread.run_sync(partial(db.checkpoint, restart_past=restart_past))
        except Exception:
            log.exception("the SQLite checkpoint failed; trying again at the next one")
        await asyncio.sleep(seconds)
