"""The workers table (db/workers.py), on both databases: a heartbeat replaces the worker's last one, those
not renewed are left out of a read since a moment and swept after a while, and a worker that leaves is
gone at once."""

from datetime import timedelta

from sfumato.db.database import Database
from sfumato.db.workers import WorkerStore
from sfumato.domain.fleet import Heartbeat
from tests.conftest import ManualClock


def test_a_heartbeat_replaces_the_workers_last_and_keeps_its_start(db: Database, clock: ManualClock) -> None:
    store = WorkerStore(db)
    started = clock.now()
    store.beat(Heartbeat("w1", ["tiny", "tiny-flux"], [], started, started), forget_before=started)
    clock.advance(seconds=5)
    later = clock.now()
    store.beat(Heartbeat("w1", ["tiny", "tiny-flux"], ["tiny-flux"], later, later), forget_before=started)
    assert store.seen_since(started) == [
        Heartbeat("w1", ["tiny", "tiny-flux"], ["tiny-flux"], started, later)
    ]


def test_only_heartbeats_renewed_since_the_moment_are_read(db: Database, clock: ManualClock) -> None:
    store = WorkerStore(db)
    old = clock.now()
    store.beat(Heartbeat("old", ["tiny"], [], old, old), forget_before=old - timedelta(hours=1))
    clock.advance(seconds=20)
    fresh = clock.now()
    store.beat(Heartbeat("fresh", ["tiny-sd3"], [], fresh, fresh), forget_before=old - timedelta(hours=1))
    assert [beat.name for beat in store.seen_since(fresh - timedelta(seconds=15))] == ["fresh"]
    assert [beat.name for beat in store.seen_since(old)] == ["fresh", "old"]


def test_a_heartbeat_sweeps_those_not_renewed_before_its_bound(db: Database, clock: ManualClock) -> None:
    store = WorkerStore(db)
    gone = clock.now()
    store.beat(Heartbeat("gone", ["tiny"], [], gone, gone), forget_before=gone)
    clock.advance(hours=2)
    now = clock.now()
    store.beat(Heartbeat("here", ["tiny"], [], now, now), forget_before=now - timedelta(hours=1))
    assert [beat.name for beat in store.seen_since(gone - timedelta(days=1))] == ["here"]


def test_a_worker_that_leaves_is_gone_at_once(db: Database, clock: ManualClock) -> None:
    store = WorkerStore(db)
    now = clock.now()
    for name in ("stays", "leaves"):
        store.beat(Heartbeat(name, ["tiny"], ["tiny"], now, now), forget_before=now)
    store.leave("leaves")
    store.leave("never-was")
    assert [beat.name for beat in store.seen_since(now)] == ["stays"]
