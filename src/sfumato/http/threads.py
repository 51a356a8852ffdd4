"""Blocking work (the database, files, counters in Redis) off the event loop: one hop to a worker thread."""

from collections.abc import Callable
from functools import partial
from typing import ParamSpec, TypeVar

import anyio

P = ParamSpec("P")
R = TypeVar("R")


async def in_thread(function: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    return await anyio.to_thread.run_sync(partial(function, *args, **kwargs))
