import asyncio
import threading

import pytest

from sfumato.services.events import JobEvents

pytestmark = pytest.mark.anyio


async def test_publishing_from_another_thread_wakes_the_subscriber() -> None:
    events = JobEvents()
    with events.subscribe("job_1") as ended:
        threading.Thread(target=events.publish, args=("job_1",)).start()
        await asyncio.wait_for(ended.wait(), 2)


async def test_other_jobs_do_not_wake_it() -> None:
    events = JobEvents()
    with events.subscribe("job_1") as ended:
        events.publish("job_2")
        await asyncio.sleep(0.05)
        assert not ended.is_set()


async def test_unsubscribing_leaves_nothing_behind() -> None:
    events = JobEvents()
    with events.subscribe("job_1"):
        pass
    assert events._waiters == {}
    events.publish("job_1")  # nobody listening: no error


async def test_draining_wakes_every_waiter_and_says_so() -> None:
    events = JobEvents()
    with events.subscribe("job_1") as first, events.subscribe("job_2") as second:
        assert not events.draining
        threading.Thread(target=events.drain).start()
        await asyncio.wait_for(asyncio.gather(first.wait(), second.wait()), 2)
    assert events.draining
