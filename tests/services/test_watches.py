"""Following jobs (services/watches.py): the watchers of one job share one read of it, and a key holds at
most its plan's `max_streams` streams open at once."""

import asyncio
import threading
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from sfumato.domain.errors import NotFound, RateLimited
from sfumato.domain.jobs import Job, JobStatus
from sfumato.domain.keys import ApiKey
from sfumato.domain.params import JobParams
from sfumato.domain.plans import DEFAULT_PLANS, Limits
from sfumato.services.events import JobEvents
from sfumato.services.views import JobView
from sfumato.services.watches import JobWatches

pytestmark = pytest.mark.anyio
NOW = datetime(2026, 12, 6, tzinfo=UTC)
KEY = ApiKey("key_1", "k", "sfm_", "starter", False, None, None, NOW, None, "whsec_x")


class Job3Steps:
    """A job that moves a third at each read and ends at the third; counts its reads."""

    def __init__(self) -> None:
        self.reads = 0
        self.lock = threading.Lock()
        params = JobParams.from_dict(
            {"prompt": "x", "negative_prompt": None, "seed": 1, "width": 256, "height": 256, "steps": 3}
            | {"guidance_scale": 0.0, "style": None, "n": 1, "model": "tiny", "format": "png"}
            | {"quality": 90, "name": "untitled"}
        )
        self.job = Job(
            id="job_1",
            key_id=KEY.id,
            status=JobStatus.PROCESSING,
            params=params,
            created_at=NOW,
            started_at=NOW,
            completed_at=None,
            progress=0.0,
            attempts=1,
            max_attempts=3,
            error_code=None,
            error_message=None,
            warnings=None,
            lease_owner="w",
            lease_expires_at=NOW,
            charged_month=None,
            preview=None,
        )

    def read(self, key_id: str, job_id: str) -> JobView:
        assert (key_id, job_id) == (KEY.id, "job_1")
        with self.lock:
            self.reads += 1
            done = min(self.reads, 3)
        status = JobStatus.SUCCEEDED if done == 3 else JobStatus.PROCESSING
        return JobView(replace(self.job, progress=done / 3, status=status), [])


def limits_of(_key: ApiKey) -> Limits:
    return Limits.of(KEY, DEFAULT_PLANS)  # starter: 10 streams


async def test_fifty_watchers_of_one_job_share_its_reads() -> None:
    job = Job3Steps()
    watches = JobWatches(job.read, JobEvents(), limits_of, poll_seconds=0.01)

    async def follow() -> list[float]:
        return [view.job.progress async for view in watches.watch(KEY, "job_1")]

    seen = await asyncio.gather(*(follow() for _ in range(50)))
    assert all(progress[-1] == 1.0 for progress in seen)
    assert job.reads <= 3  # one read a step for all fifty, not fifty a step


async def test_a_job_deleted_while_followed_ends_every_watcher_with_not_found() -> None:
    def gone(_key_id: str, job_id: str) -> JobView:
        raise NotFound(f"no job {job_id!r}")

    watches = JobWatches(gone, JobEvents(), limits_of, poll_seconds=0.01)
    with pytest.raises(NotFound):
        async for _ in watches.watch(KEY, "job_1"):
            pass


async def test_the_last_watcher_leaving_stops_the_reads() -> None:
    job = Job3Steps()
    job.read = lambda key_id, job_id: JobView(job.job, [])  # type: ignore[method-assign]  # never moves
    watches = JobWatches(job.read, JobEvents(), limits_of, poll_seconds=0.01)
    followed = watches.watch(KEY, "job_1")
    await followed.__anext__()
    await followed.aclose()
    await asyncio.sleep(0.05)
    assert watches._shared == {}


def test_a_key_holds_at_most_its_plans_streams_and_a_closed_one_frees_a_place() -> None:
    watches = JobWatches(Job3Steps().read, JobEvents(), limits_of, poll_seconds=0.01)
    other = replace(KEY, id="key_2")
    held = [watches.stream_of(KEY) for _ in range(10)]  # starter: 10
    for slot in held:
        slot.__enter__()
    with pytest.raises(RateLimited) as refused:
        watches.stream_of(KEY).__enter__()
    assert refused.value.code == "too_many_streams" and refused.value.retry_after > 0
    with watches.stream_of(other):  # another key is not held back by this one
        assert watches.open_streams(other.id) == 1
    held[0].__exit__(None, None, None)
    with watches.stream_of(KEY):
        assert watches.open_streams(KEY.id) == 10
    for slot in held[1:]:
        slot.__exit__(None, None, None)
    assert watches.open_streams(KEY.id) == 0
