"""Following jobs as they run (the events stream, OpenAI's `stream: true`), cheaply however many follow:

- the watchers of one job in this process share one read of it: one task reads the job every
  WATCH_SECONDS (at once when its end is published here) and hands each read to all of them, so a
  thousand streams of one job cost what one does;
- a key holds at most its plan's `max_streams` streams open at once in a process (429 past it), so one
  key cannot fill the thread pool that every other key's requests share.
"""

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field

import anyio

from sfumato.domain.errors import NotFound, RateLimited
from sfumato.domain.jobs import JobStatus
from sfumato.domain.keys import ApiKey
from sfumato.domain.plans import Limits
from sfumato.services.events import JobEvents
from sfumato.services.views import JobView

WATCH_SECONDS = 0.5  # how often a watched job is read; the worker records progress about every second


@dataclass
class _Shared:
    """One job's read, shared: the latest view (or the error that ended it), and how many follow."""

    changed: asyncio.Condition
    view: JobView | None = None
    error: NotFound | None = None
    reads: int = 0
    watchers: int = 0
    task: "asyncio.Task[None] | None" = field(default=None, repr=False)


class JobWatches:
    def __init__(
        self,
        read: Callable[[str, str], JobView],
        events: JobEvents,
        limits_of: Callable[[ApiKey], Limits],
        *,
        poll_seconds: float,
    ) -> None:
        self.read = read  # (key id, job id) -> the job's view; NotFound when it is not that key's
        self.events = events
        self.limits_of = limits_of
        self.every = min(WATCH_SECONDS, poll_seconds)
        self._shared: dict[tuple[int, str], _Shared] = {}  # (event loop, job id): one read each
        self._open: dict[str, int] = {}  # key id -> streams open now
        self._lock = threading.Lock()

    @contextmanager
    def stream_of(self, key: ApiKey) -> Iterator[None]:
        """Hold one of the key's streams while the body runs; RateLimited past the plan's `max_streams`."""
        most = self.limits_of(key).max_streams
        with self._lock:
            if self._open.get(key.id, 0) >= most:
                raise RateLimited(
                    f"this key has {most} event streams open, its plan's most; close one first",
                    retry_after=5,
                    code="too_many_streams",
                )
            self._open[key.id] = self._open.get(key.id, 0) + 1
        try:
            yield
        finally:
            with self._lock:
                left = self._open[key.id] - 1
                if left:
                    self._open[key.id] = left
                else:
                    del self._open[key.id]

    def open_streams(self, key_id: str) -> int:
        with self._lock:
            return self._open.get(key_id, 0)

    async def watch(self, key: ApiKey, job_id: str, *, end_on_drain: bool = False) -> AsyncIterator[JobView]:
        """The job as it stands now, then each time its status, progress or place in the queue moves, then
        once ended; the
        iteration stops after the end, and with `end_on_drain` (an event stream) once the process is
        stopping (JobEvents.drain wakes the read). NotFound when the job is not this key's, or is deleted
        meanwhile."""
        shared = self._join(key.id, job_id)
        last: tuple[JobStatus, float, int | None] | None = None
        seen = 0
        try:
            while True:
                async with shared.changed:
                    while shared.reads <= seen:
                        await shared.changed.wait()
                    seen, view, error = shared.reads, shared.view, shared.error
                if error is not None:
                    raise error
                assert view is not None
                now = (view.status, view.job.progress, view.place.position if view.place else None)
                if now != last:  # its status, its progress, or its place in the queue moved
                    last = now
                    yield view
                if view.status.is_terminal() or (end_on_drain and self.events.draining):
                    return
        finally:
            self._leave(job_id, shared)

    def _join(self, key_id: str, job_id: str) -> _Shared:
        entry = (id(asyncio.get_running_loop()), job_id)
        shared = self._shared.get(entry)
        if shared is None or shared.task is None or shared.task.done():
            shared = _Shared(asyncio.Condition())
            self._shared[entry] = shared
            shared.task = asyncio.create_task(self._reading(key_id, job_id, shared))
        shared.watchers += 1
        return shared

    def _leave(self, job_id: str, shared: _Shared) -> None:
        shared.watchers -= 1
        if shared.watchers == 0 and shared.task is not None:
            shared.task.cancel()  # the last watcher went: no more reads
            entry = (id(asyncio.get_running_loop()), job_id)
            if self._shared.get(entry) is shared:
                del self._shared[entry]

    async def _reading(self, key_id: str, job_id: str, shared: _Shared) -> None:
        """Read the job for every watcher until it ends (or is gone), waking at its end at once."""
        while True:
            with self.events.subscribe(job_id) as ended:
                try:
                    view: JobView | None = await anyio.to_thread.run_sync(self.read, key_id, job_id)
                    error = None
                except NotFound as gone:
                    view, error = None, gone
                async with shared.changed:
                    shared.view, shared.error, shared.reads = view, error, shared.reads + 1
                    shared.changed.notify_all()
                if error is not None or (view is not None and view.status.is_terminal()):
                    return
                with suppress(TimeoutError):
                    await asyncio.wait_for(ended.wait(), self.every)
