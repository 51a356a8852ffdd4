"""The retention sweeper's own rules, over stores that record what they are asked (the database's part
is proven in tests/api/test_retention.py and tests/db/test_scale.py)."""

import asyncio
from collections.abc import Callable, Collection, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sfumato.db.jobs import SweepWindow
from sfumato.services.retention import REST_SECONDS, RetentionSweeper, Swept
from tests.conftest import ManualClock

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


class Stores:
    """Expired images and sweepable jobs handed out `batch` at a time in order from just after the place
    asked (the i-th one's moment is EPOCH + i minutes, or `moment(i)`; `kept` jobs are read but may not
    go), and every call in order."""

    def __init__(
        self,
        images: int,
        jobs: int,
        moment: Callable[[int], datetime] = lambda i: EPOCH + timedelta(minutes=i),
        kept: Collection[str] = (),
    ) -> None:
        self.images = [(f"img_{i}", f"job_{i}/{i}.png", moment(i)) for i in range(images)]
        self.jobs = [(moment(i), f"job_{i}") for i in range(jobs)]
        self.kept = set(kept)
        self.calls: list[tuple[Any, ...]] = []

    # ImageStore
    def expired(
        self, now: datetime, limit: int, after: tuple[datetime, str] | None
    ) -> list[tuple[str, str, datetime]]:
        self.calls.append(("expired", now, limit, after))
        return [image for image in self.images if after is None or (image[2], image[0]) > after][:limit]

    def delete_expired(self, image_ids: Sequence[str], now: datetime) -> int:
        self.calls.append(("delete_expired", list(image_ids), now))
        self.images = [image for image in self.images if image[0] not in image_ids]
        return len(image_ids)

    # JobStore
    def sweepable(self, before: datetime, limit: int, after: tuple[datetime, str] | None) -> SweepWindow:
        self.calls.append(("sweepable", before, limit, after))
        window = [job for job in self.jobs if after is None or job > after][:limit]
        ids = [job_id for _, job_id in window if job_id not in self.kept]
        return SweepWindow(ids, window[-1] if len(window) == limit else None)

    def purge(self, job_ids: Sequence[str], before: datetime) -> int:
        self.calls.append(("purge", list(job_ids), before))
        self.jobs = [job for job in self.jobs if job[1] not in job_ids]
        return len(job_ids)

    # Storage
    def delete(self, key: str) -> None:
        self.calls.append(("delete", key))

    def delete_prefix(self, prefix: str) -> None:
        self.calls.append(("delete_prefix", prefix))


class Ticks:
    """monotonic() moves on 0.25 s at each reading; sleep() records its pauses."""

    def __init__(self) -> None:
        self.now = 0.0
        self.pauses: list[float] = []

    def monotonic(self) -> float:
        self.now += 0.25
        return self.now

    def sleep(self, seconds: float) -> None:
        self.pauses.append(seconds)


def sweeper(stores: Stores, clock: ManualClock, ticks: Ticks, batch: int = 2) -> RetentionSweeper:
    return RetentionSweeper(
        stores,  # type: ignore[arg-type]
        stores,  # type: ignore[arg-type]
        stores,  # type: ignore[arg-type]
        clock,
        retention_days=30,
        batch=batch,
        sleep=ticks.sleep,
        monotonic=ticks.monotonic,
    )


def test_a_sweep_deletes_in_steps_of_a_batch_until_a_step_finds_fewer(clock: ManualClock) -> None:
    stores, ticks = Stores(images=5, jobs=4), Ticks()
    assert sweeper(stores, clock, ticks).sweep() == Swept(images=5, jobs=4)
    deleted = [call[1] for call in stores.calls if call[0] == "delete_expired"]
    assert deleted == [["img_0", "img_1"], ["img_2", "img_3"], ["img_4"]]
    purged = [call[1] for call in stores.calls if call[0] == "purge"]
    assert purged == [["job_0", "job_1"], ["job_2", "job_3"], []] or purged == [
        ["job_0", "job_1"],
        ["job_2", "job_3"],
    ]
    assert stores.images == [] and stores.jobs == []


def test_each_step_reads_on_from_the_last_ones_last_row_and_each_sweep_from_the_start(
    clock: ManualClock,
) -> None:
    # Without it, each step's read walks again over the index entries of every row the sweep deleted
    # (PostgreSQL keeps them until a vacuum): the sweep's time grows with the square of its backlog.
    stores, ticks = Stores(images=5, jobs=4), Ticks()
    running = sweeper(stores, clock, ticks)
    running.sweep()
    after = [(call[0], call[3]) for call in stores.calls if call[0] in ("expired", "sweepable")]
    minute = [EPOCH + timedelta(minutes=i) for i in range(5)]
    assert after == [
        ("expired", None),
        ("expired", (minute[1], "img_1")),  # the last row of the step before
        ("expired", (minute[3], "img_3")),
        ("sweepable", None),  # each phase from its own start
        ("sweepable", (minute[1], "job_1")),
        ("sweepable", (minute[3], "job_3")),
    ]
    stores.images = [("img_9", "job_9/9.png", minute[0])]  # before where the last sweep ended
    stores.calls.clear()
    assert running.sweep() == Swept(images=1, jobs=0)
    assert stores.calls[0] == ("expired", stores.calls[0][1], 2, None)


def test_rows_of_one_moment_are_told_apart_by_their_ids(clock: ManualClock) -> None:
    stores, ticks = Stores(images=5, jobs=5, moment=lambda i: EPOCH), Ticks()
    assert sweeper(stores, clock, ticks).sweep() == Swept(images=5, jobs=5)
    assert stores.images == [] and stores.jobs == []


def test_a_window_of_jobs_that_may_not_go_is_stepped_over_not_taken_for_the_end(clock: ManualClock) -> None:
    # Old jobs that keep an image or a webhook to send stay; the sweep goes on past them, to the end.
    stores, ticks = Stores(images=0, jobs=7, kept={"job_0", "job_1", "job_3"}), Ticks()
    assert sweeper(stores, clock, ticks).sweep() == Swept(images=0, jobs=4)
    assert [job_id for _, job_id in stores.jobs] == ["job_0", "job_1", "job_3"]
    purged = [call[1] for call in stores.calls if call[0] == "purge"]
    assert purged == [["job_2"], ["job_4", "job_5"], ["job_6"]]
    assert [call[1] for call in stores.calls if call[0] == "delete_prefix"] == [
        "job_2",
        "job_4",
        "job_5",
        "job_6",
    ]
    # The first window wrote nothing, so held no lock: the rest after it is the shortest, not a write's time.
    assert ticks.pauses[0] == REST_SECONDS


def test_between_two_full_steps_the_sweeper_rests_as_long_as_the_last_step_took(clock: ManualClock) -> None:
    stores, ticks = Stores(images=4, jobs=0), Ticks()
    sweeper(stores, clock, ticks).sweep()
    # two full image steps (each read began then ended: 0.25 s apart), then one that finds none
    assert ticks.pauses == [0.25, 0.25]


class Slowing(Stores):
    """Stores whose deletions take `per_row` seconds a row, on a clock of their own."""

    def __init__(self, images: int, per_row: float) -> None:
        super().__init__(images, jobs=0)
        self.per_row, self.now = per_row, 0.0
        self.pauses: list[float] = []

    def delete_expired(self, image_ids: Sequence[str], now: datetime) -> int:
        self.now += self.per_row * len(image_ids)
        return super().delete_expired(image_ids, now)

    def expired(
        self, now: datetime, limit: int, after: tuple[datetime, str] | None
    ) -> list[tuple[str, str, datetime]]:
        self.now += 5.0  # a slow read, which holds no write lock: neither rested for nor judged
        return super().expired(now, limit, after)

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.pauses.append(seconds)

    def asked(self) -> list[int]:
        return [call[2] for call in self.calls if call[0] == "expired"]


def slowing_sweeper(stores: Slowing, clock: ManualClock) -> RetentionSweeper:
    return RetentionSweeper(
        stores,  # type: ignore[arg-type]
        stores,  # type: ignore[arg-type]
        stores,  # type: ignore[arg-type]
        clock,
        retention_days=30,
        batch=200,
        step_seconds=0.02,
        sleep=stores.sleep,
        monotonic=stores.monotonic,
    )


def test_slow_deletions_make_smaller_steps_not_longer_ones(clock: ManualClock) -> None:
    stores = Slowing(images=300, per_row=0.001)  # 200 rows: 0.2 s, ten times the step's 0.02 s
    assert slowing_sweeper(stores, clock).sweep() == Swept(images=300, jobs=0)
    assert stores.asked()[:4] == [200, 20, 20, 20]
    # Each rest lasts the last write, or REST_SECONDS if longer; the slow reads count for neither.
    assert stores.pauses[:3] == pytest.approx([0.2, REST_SECONDS, REST_SECONDS])


def test_steps_grow_back_to_the_batch_when_deletions_get_fast_again(clock: ManualClock) -> None:
    stores = Slowing(images=2000, per_row=0.001)
    running = slowing_sweeper(stores, clock)
    real = stores.delete_expired

    def faster_after_the_first(image_ids: Sequence[str], now: datetime) -> int:
        deleted = real(image_ids, now)
        stores.per_row = 0.00001  # from now on 20 rows take 0.2 ms: under half a step
        return deleted

    stores.delete_expired = faster_after_the_first  # type: ignore[method-assign]
    assert running.sweep() == Swept(images=2000, jobs=0)
    assert stores.asked()[:6] == [200, 20, 40, 80, 160, 200]
    assert running._next(100, 0.015) == 100  # between half the step's time and all of it: kept
    assert running._next(100, 0.01) == 100  # exactly half: kept
    assert running._next(50, 0.008) == 100  # under half (0.4 of it): doubled
    assert running._next(15, 10.0) == 10  # never below FEWEST


def test_a_batch_smaller_than_the_fewest_steps_is_kept(clock: ManualClock) -> None:
    stores = Slowing(images=5, per_row=1.0)
    running = slowing_sweeper(stores, clock)
    running.batch = 2
    assert running.sweep() == Swept(images=5, jobs=0)
    assert stores.asked() == [2, 2, 2]


def test_each_file_goes_before_its_row(clock: ManualClock) -> None:
    stores, ticks = Stores(images=2, jobs=0), Ticks()
    sweeper(stores, clock, ticks, batch=10).sweep()
    order = [call[0] for call in stores.calls if call[0] in ("delete", "delete_expired")]
    assert order == ["delete", "delete", "delete_expired"]
    assert [call[1] for call in stores.calls if call[0] == "delete"] == ["job_0/0.png", "job_1/1.png"]


def test_old_jobs_are_judged_against_the_retention_and_their_leftover_files_go_first(
    clock: ManualClock,
) -> None:
    stores, ticks = Stores(images=0, jobs=2), Ticks()
    started = clock.now()
    assert sweeper(stores, clock, ticks, batch=10).sweep() == Swept(images=0, jobs=2)
    (expired,) = [call for call in stores.calls if call[0] == "expired"]
    assert expired[2] == 10 and timedelta(0) < expired[1] - started < timedelta(seconds=1)
    before = next(call[1] for call in stores.calls if call[0] == "sweepable")
    assert timedelta(0) < before - (started - timedelta(days=30)) < timedelta(seconds=1)
    jobs = [call for call in stores.calls if call[0] in ("sweepable", "delete_prefix", "purge")]
    assert jobs == [
        ("sweepable", before, 10, None),
        ("delete_prefix", "job_0"),
        ("delete_prefix", "job_1"),
        ("purge", ["job_0", "job_1"], before),
    ]


def test_nothing_to_sweep_deletes_nothing(clock: ManualClock) -> None:
    stores, ticks = Stores(images=0, jobs=0), Ticks()
    assert sweeper(stores, clock, ticks).sweep() == Swept(0, 0)
    assert [call[0] for call in stores.calls] == ["expired", "sweepable"]
    assert ticks.pauses == []


@pytest.mark.anyio
async def test_the_sweeper_runs_at_once_then_every_interval_and_outlives_a_failed_sweep(
    clock: ManualClock,
) -> None:
    stores, ticks = Stores(images=0, jobs=0), Ticks()
    running = sweeper(stores, clock, ticks)
    sweeps: list[str] = []

    def sweep() -> Swept:
        sweeps.append("sweep")
        if len(sweeps) == 1:
            raise RuntimeError("the database went away")
        return Swept(0, 0)

    running.sweep = sweep  # type: ignore[method-assign]
    task = asyncio.ensure_future(running.run_every(0.01))
    for _ in range(500):
        if len(sweeps) >= 3:
            break
        await asyncio.sleep(0.01)
    task.cancel()
    assert len(sweeps) >= 3  # the failure did not end the loop
