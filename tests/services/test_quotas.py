"""Monthly quotas in the database: charged with the job, refunded when it fails or never ran, and
exact under concurrent requests for the last images."""

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from sfumato.db import usage
from sfumato.domain.errors import QuotaExceeded
from sfumato.domain.generation import GenerationRequest
from sfumato.domain.keys import ApiKey
from sfumato.domain.plans import month_of
from sfumato.roots.api import ApiRoot, build_api_root
from tests.conftest import Deployment, ManualClock, all_at_once


@pytest.fixture
def services(deployment: Deployment, tmp_path: Path, clock: ManualClock) -> Iterator[ApiRoot]:
    built = build_api_root(
        deployment.settings(tmp_path / "data", lease_seconds=30.0), worker=False, clock=clock
    )
    yield built
    built.close()


def used(services: ApiRoot, key: ApiKey) -> int:
    with services.db.read() as session:
        return usage.used(session, key.id, month_of(services.clock.now()))


def request(n: int = 1) -> GenerationRequest:
    return GenerationRequest(prompt="x", width=256, height=256, n=n)


def test_twenty_concurrent_requests_for_the_last_image_let_exactly_one_through(services: ApiRoot) -> None:
    key, _ = services.keys.create("racer", monthly_images=50)
    for _ in range(49):
        services.generation.submit(key, request())
    accepted, refused = all_at_once(20, lambda: services.generation.submit(key, request()))
    assert len(accepted) == 1 and len(refused) == 19
    assert all(isinstance(error, QuotaExceeded) for error in refused)
    assert used(services, key) == 50 and services.queue.depth() == 50


def test_a_job_of_n_images_fits_only_if_all_n_fit(services: ApiRoot) -> None:
    key, _ = services.keys.create("exact", plan="professional", monthly_images=3)
    services.generation.submit(key, request(n=2))
    with pytest.raises(QuotaExceeded, match=r"\(1 left, 2 asked\)"):
        services.generation.submit(key, request(n=2))  # 2 used + 2 > 3, though 2 < 3
    assert used(services, key) == 2
    services.generation.submit(key, request(n=1))  # exactly to the quota: 2 + 1 = 3
    assert used(services, key) == 3
    with pytest.raises(QuotaExceeded):
        services.generation.submit(key, request(n=1))
    assert used(services, key) == 3 and services.queue.depth() == 2


def test_a_failed_job_is_not_charged(services: ApiRoot) -> None:
    key, _ = services.keys.create("fails", plan="professional", monthly_images=10)
    job = services.generation.submit(key, request(n=4)).job
    assert used(services, key) == 4
    (claimed,) = services.queue.claim("w1")
    assert claimed.id == job.id
    assert services.queue.fail("w1", job.id, "engine_error", "boom")
    assert used(services, key) == 0


def test_a_job_whose_workers_all_died_is_not_charged(services: ApiRoot, clock: ManualClock) -> None:
    key, _ = services.keys.create("lost", plan="professional")
    job = services.generation.submit(key, request(n=3)).job
    for attempt in range(services.queue.max_attempts):
        assert [j.id for j in services.queue.claim(f"w{attempt}")] == [job.id]
        clock.advance(seconds=31)  # the lease lapses
        services.queue.requeue_expired()
    assert services.generation.get(key, job.id).job.status == "failed"
    assert used(services, key) == 0


def test_a_job_canceled_while_running_stays_charged(services: ApiRoot) -> None:
    key, _ = services.keys.create("runs", plan="professional")
    job = services.generation.submit(key, request(n=2)).job
    services.queue.claim("w1")
    assert services.generation.cancel(key, job.id).job.status == "canceled"
    assert used(services, key) == 2  # it had its GPU time


def test_a_succeeded_job_stays_charged_and_a_replay_charges_nothing(services: ApiRoot) -> None:
    from sfumato.domain.idempotency import Idempotency

    key, _ = services.keys.create("replays", plan="professional")
    body = request(n=2)
    once = Idempotency.of("retry-1", "jobs", body.model_dump(mode="json"))
    first = services.generation.submit(key, body, once)
    again = services.generation.submit(key, body, once)
    assert again.replayed and again.job.id == first.job.id
    assert used(services, key) == 2


def test_a_refund_goes_to_the_month_that_paid(services: ApiRoot, clock: ManualClock) -> None:
    key, _ = services.keys.create("months", monthly_images=1)
    job = services.generation.submit(key, request()).job
    january = month_of(clock.now())
    clock.advance(days=31)  # February: a fresh quota
    services.generation.submit(key, request())
    services.generation.cancel(key, job.id)  # never ran: January gets its image back
    with services.db.read() as session:
        assert usage.used(session, key.id, january) == 0
    assert used(services, key) == 1


def test_an_unlimited_plan_counts_but_never_refuses(services: ApiRoot) -> None:
    key, _ = services.keys.create("big")
    with services.db.write() as session:
        assert usage.charge(session, key.id, "2026-01", 10**6, None)
        assert not usage.charge(session, key.id, "2026-01", 1, 10**6)
    with services.db.read() as session:
        assert usage.used(session, key.id, "2026-01") == 10**6


def test_a_submission_holds_the_write_lock_for_five_statements(services: ApiRoot) -> None:
    # Every submission waits for the one write lock (SQLite) or the key's usage row (PostgreSQL): the job's
    # row is built before the transaction opens, and inside it run only the charge, the count of the key's
    # queued jobs (its plan bounds them), the turn's read (two seeks, one statement) and the two inserts (the
    # job, its words), and PostgreSQL's NOTIFY. Once the month's row exists, that is; it took seven.
    key, _ = services.keys.create("counted", monthly_images=100)
    services.generation.submit(key, request())  # the month's usage row
    by_connection: dict[int, list[str]] = {}

    def note(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        by_connection.setdefault(id(conn), []).append(statement.split()[0].upper())

    event.listen(services.db.engine, "before_cursor_execute", note)
    try:
        services.generation.submit(key, request())
    finally:
        event.remove(services.db.engine, "before_cursor_execute", note)
    (written,) = [statements for statements in by_connection.values() if "INSERT" in statements]
    inside = [statement for statement in written if statement != "BEGIN"]
    assert len(inside) <= 5 + (0 if services.db.is_sqlite else 1), written
    assert used(services, key) == 2


def test_on_sqlite_two_submissions_write_at_once_and_the_others_wait_off_the_gil(
    services: ApiRoot, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SQLite has one write lock: past two writers, more threads only take the GIL from the one holding it
    # (docs/benchmarks.md). PostgreSQL's writers wait on the network: as many as come.
    key, _ = services.keys.create("crowd", plan="professional")
    real = services.generation._enqueue
    writing, most, lock = 0, 0, threading.Lock()

    def counted(*args: Any, **kwargs: Any) -> Any:
        nonlocal writing, most
        with lock:
            writing += 1
            most = max(most, writing)
        try:
            time.sleep(0.05)  # long enough for every thread released together to arrive
            return real(*args, **kwargs)
        finally:
            with lock:
                writing -= 1

    monkeypatch.setattr(services.generation, "_enqueue", counted)
    accepted, errors = all_at_once(8, lambda: services.generation.submit(key, request()))
    assert errors == [] and len(accepted) == 8
    assert most == 2 if services.db.is_sqlite else most > 2
