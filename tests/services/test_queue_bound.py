"""services/queue_bound.py: a submission asks whether the queue is full without counting it each time, and is
never let past the bound by a count that is out of date in this process."""

from sfumato.services.queue_bound import QueueBound


class CountedQueue:
    """A queue of `waiting` jobs that counts how often it was counted."""

    def __init__(self, waiting: int) -> None:
        self.waiting = waiting
        self.counts = 0

    def depth(self, at_most: int | None = None) -> int:
        self.counts += 1
        return min(self.waiting, at_most) if at_most is not None else self.waiting


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def bound_of(queue: CountedQueue, most: int, clock: Clock) -> QueueBound:
    return QueueBound(queue, most, fresh_seconds=1.0, clock=clock)  # type: ignore[arg-type]


def test_submissions_far_from_the_bound_count_the_queue_once_a_second() -> None:
    queue, clock = CountedQueue(10), Clock()
    bound = bound_of(queue, 1000, clock)
    for _ in range(50):
        assert not bound.full()
        bound.added()
        queue.waiting += 1
        clock.now += 0.01  # fifty submissions in half a second
    assert queue.counts == 1
    clock.now += 1.0
    assert not bound.full() and queue.counts == 2


def test_the_bound_is_never_passed_by_this_processs_own_submissions() -> None:
    queue, clock = CountedQueue(0), Clock()
    bound = bound_of(queue, 3, clock)
    accepted = 0
    for _ in range(10):  # all within the second a count stays fresh
        if not bound.full():
            bound.added()
            queue.waiting += 1
            accepted += 1
    assert accepted == 3 and queue.waiting == 3


def test_a_full_queue_that_workers_drained_takes_jobs_again_at_once() -> None:
    queue, clock = CountedQueue(3), Clock()
    bound = bound_of(queue, 3, clock)
    assert bound.full()
    queue.waiting = 1  # a worker took two
    assert not bound.full()  # counted again: the estimate said full
