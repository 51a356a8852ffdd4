"""Wakes requests waiting on a job the moment it ends, across threads.

The worker (a thread) publishes a job id after it commits the job's end; an async request that
subscribed to that id wakes at once. A worker in another process cannot reach this hub: waiters
then learn of the end at their next look at the database (`poll_seconds`).
"""

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress


class JobEvents:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiters: dict[str, list[tuple[asyncio.AbstractEventLoop, asyncio.Event]]] = {}
        self.draining = False  # the process is stopping: long waits end (services.generation)

    @contextmanager
    def subscribe(self, job_id: str) -> Iterator[asyncio.Event]:
        """An event set when `job_id` is published; subscribe before reading the job, so no end is missed."""
        entry = (asyncio.get_running_loop(), asyncio.Event())
        with self._lock:
            self._waiters.setdefault(job_id, []).append(entry)
        try:
            yield entry[1]
        finally:
            with self._lock:
                waiters = self._waiters.get(job_id, [])
                if entry in waiters:
                    waiters.remove(entry)
                if not waiters:
                    self._waiters.pop(job_id, None)

    def publish(self, job_id: str) -> None:
        """Safe from any thread."""
        with self._lock:
            waiters = list(self._waiters.get(job_id, ()))
        for loop, event in waiters:
            with suppress(RuntimeError):  # that request's loop has closed
                loop.call_soon_threadsafe(event.set)

    def drain(self) -> None:
        """The process is stopping (SIGTERM): wake every waiter now; from here `draining` is true."""
        self.draining = True
        with self._lock:
            waiters = [entry for entries in self._waiters.values() for entry in entries]
        for loop, event in waiters:
            with suppress(RuntimeError):
                loop.call_soon_threadsafe(event.set)
