"""Whether the queue is full (SFUMATO_MAX_QUEUED_JOBS), asked by every submission without counting the queue
at each one.

The count read last, plus the jobs this process queued since, is never below the queue's true length in one
process (workers only take jobs away), so while it is under the bound the queue is; at or past the bound, or
once the count is `fresh_seconds` old, the queue is counted again (db.queue's `depth`, up to the bound). Jobs
other API processes queued since the last count are missed for at most those seconds: the bound is a guard
against overload (503 `overloaded`), not a quota.
"""

import threading
import time
from collections.abc import Callable

from sfumato.db.queue import JobQueue


class QueueBound:
    def __init__(
        self,
        queue: JobQueue,
        most: int,
        *,
        fresh_seconds: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.queue = queue
        self.most = most
        self.fresh_seconds = fresh_seconds
        self.clock = clock
        self._lock = threading.Lock()
        self._counted = 0
        self._since = 0  # jobs this process queued after the count
        self._counted_at: float | None = None

    def full(self) -> bool:
        """Whether `most` jobs wait (counted again whenever the estimate says full, or is stale)."""
        now = self.clock()
        with self._lock:
            fresh = self._counted_at is not None and now - self._counted_at < self.fresh_seconds
            if fresh and self._counted + self._since < self.most:
                return False
        counted = self.queue.depth(at_most=self.most)
        with self._lock:
            self._counted, self._since, self._counted_at = counted, 0, now
        return counted >= self.most

    def added(self) -> None:
        """This process queued one more job."""
        with self._lock:
            self._since += 1
