"""The objects a process makes while it starts, set aside from the garbage collector (docs/architecture.md,
"Pauses").

A process that serves images holds about half a million objects from start-up on (the modules of torch,
diffusers and transformers, the model's), for as long as it runs. CPython's full collections walk every one
of them: about 0.4 s measured, during which every thread stands still, one holding SQLite's write lock
included. Once a process has started, its objects are collected once and the survivors frozen
(`gc.freeze`): later collections walk only what was made since.
"""

import asyncio
import gc
import logging

import anyio

from sfumato.services.worker import Worker

log = logging.getLogger(__name__)


def freeze_startup_heap() -> int:
    """Collect what start-up left as garbage, then freeze every object alive now; how many are frozen."""
    gc.collect()
    gc.freeze()
    frozen = gc.get_freeze_count()
    log.info("%d objects made at start-up are set aside from the garbage collector", frozen)
    return frozen


def started(worker: Worker | None) -> bool:
    """Whether a process with this worker (or none) has made what it keeps: its model is loaded, or failed."""
    return worker is None or worker.ready.is_set() or worker.error is not None


async def freeze_once_started(worker: Worker | None, poll_seconds: float = 0.2) -> None:
    """For an API process: freeze once its worker's model is loaded (at once without a worker)."""
    # A look every `poll_seconds`: the worker's readiness is a thread's event, and a failed start sets none.
    while not started(worker):  # noqa: ASYNC110
        await asyncio.sleep(poll_seconds)
    await anyio.to_thread.run_sync(freeze_startup_heap)
