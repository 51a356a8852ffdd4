"""Setting the start-up objects aside from the garbage collector;
the processes' part: tests/e2e/test_startup_heap.py."""

import asyncio
import gc
import threading
import weakref
from collections.abc import Iterator

import pytest

from sfumato.services import startup_heap


@pytest.fixture
def unfrozen() -> Iterator[None]:
    yield
    gc.unfreeze()  # the rest of the test run collects as before


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


def test_start_up_garbage_is_collected_and_what_lives_is_frozen(unfrozen: None) -> None:
    alive = Node()
    garbage = Node()
    garbage.other = Node()
    garbage.other.other = garbage  # a cycle only a collection frees
    gone = weakref.ref(garbage)
    del garbage

    frozen = startup_heap.freeze_startup_heap()

    assert gone() is None
    # What is frozen may still be freed by its reference count (another thread of this process may drop some
    # meanwhile), and nothing joins the frozen generation but a freeze: its count only shrinks from `frozen`.
    assert 0 < gc.get_freeze_count() <= frozen
    assert not any(thing is alive for thing in gc.get_objects())  # out of every generation collections walk
    gc.unfreeze()
    assert any(thing is alive for thing in gc.get_objects())


class Starting:
    """A worker whose model loads when the test says, or fails to."""

    def __init__(self) -> None:
        self.ready = threading.Event()
        self.error: str | None = None


@pytest.mark.anyio
@pytest.mark.parametrize("ending", ["loaded", "failed"])
async def test_an_api_process_freezes_only_once_its_model_has_loaded_or_failed(
    ending: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    worker = Starting()
    looks, frozen = [], []
    started, three_looks = startup_heap.started, asyncio.Event()

    def looked(seen: Starting) -> bool:
        looks.append(started(seen))  # type: ignore[arg-type]
        if len(looks) == 3:
            three_looks.set()
        return looks[-1]

    monkeypatch.setattr(startup_heap, "started", looked)
    monkeypatch.setattr(startup_heap, "freeze_startup_heap", lambda: frozen.append(len(looks)) or 0)
    task = asyncio.create_task(startup_heap.freeze_once_started(worker, poll_seconds=0))  # type: ignore[arg-type]
    await asyncio.wait_for(three_looks.wait(), 30)
    assert frozen == []  # three looks at a worker still loading, and nothing frozen
    if ending == "loaded":
        worker.ready.set()
    else:
        worker.error = "the model could not start: OSError"
    await asyncio.wait_for(task, 30)
    assert frozen == [len(looks)] and looks[-1] is True and looks.count(True) == 1


def test_a_process_without_a_worker_has_started_at_once() -> None:
    assert startup_heap.started(None)
