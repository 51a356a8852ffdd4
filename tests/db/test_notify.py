"""LISTEN/NOTIFY on PostgreSQL: signals at commit, none for what rolls back, and a listener that
outlives a restart of the server."""

import queue as queues
from collections.abc import Iterator

import pytest

from sfumato.db.database import Database
from sfumato.db.migrate import upgrade
from sfumato.db.notify import JOB_ENDED, JOBS_QUEUED, Listener, notify
from sfumato.db.queue import JobQueue
from sfumato.db.tables import KeyRow as ApiKey
from sfumato.domain.ids import new_id
from tests.conftest import TEMPLATE, ManualClock
from tests.db.test_queue import enqueue
from tests.servers import PostgresServer

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def pg(postgres: PostgresServer) -> Iterator[Database]:
    database = Database(postgres.create_database(new_id("n"), template=TEMPLATE))
    yield database
    database.dispose()


def listening(db: Database, **extra: object) -> tuple[Listener, "queues.Queue[tuple[str, str]]"]:
    heard: queues.Queue[tuple[str, str]] = queues.Queue()
    listener = Listener(
        db,
        {
            channel: lambda payload, channel=channel: heard.put((channel, payload))
            for channel in (JOBS_QUEUED, JOB_ENDED)
        },
        **extra,  # type: ignore[arg-type]
    )
    listener.start()
    assert listener.listening.wait(10)
    return listener, heard


def nothing_more(heard: "queues.Queue[tuple[str, str]]") -> bool:
    try:
        heard.get(timeout=1.0)
    except queues.Empty:
        return True
    return False


def test_a_queued_job_is_signalled_when_its_transaction_commits_and_not_before(pg: Database) -> None:
    listener, heard = listening(pg)
    try:
        with pg.write() as session:
            notify(session, JOBS_QUEUED)
            assert nothing_more(heard)  # not yet committed
        assert heard.get(timeout=5) == (JOBS_QUEUED, "")
    finally:
        listener.stop()


def test_nothing_is_signalled_for_a_transaction_that_rolls_back(pg: Database) -> None:
    listener, heard = listening(pg)
    try:
        with pytest.raises(RuntimeError), pg.write() as session:
            notify(session, JOBS_QUEUED)
            raise RuntimeError("rolled back")
        assert nothing_more(heard)
    finally:
        listener.stop()


def test_the_queue_signals_work_and_each_end_with_the_job_s_id(pg: Database, clock: ManualClock) -> None:
    queue = JobQueue(pg, clock, lease_seconds=30, max_attempts=3)
    with pg.write() as session:
        session.add(
            ApiKey(
                id="key_n",
                name="k",
                key_hash="h",
                prefix="p",
                plan="starter",
                is_admin=False,
                created_at=clock.now(),
            )
        )
    listener, heard = listening(pg)
    try:
        first, second = enqueue(queue, "key_n", 2)
        assert [heard.get(timeout=5), heard.get(timeout=5)] == [(JOBS_QUEUED, "")] * 2
        (claimed,) = queue.claim("w1")
        assert claimed.id == first and queue.fail("w1", first, "generation_failed", "boom")
        assert heard.get(timeout=5) == (JOB_ENDED, first)
        assert queue.cancel(second, "key_n")
        assert heard.get(timeout=5) == (JOB_ENDED, second)
        (third,) = enqueue(queue, "key_n")
        assert heard.get(timeout=5) == (JOBS_QUEUED, "")
        queue.claim("w1")
        queue.release("w1", [third])  # handed back: another worker may take it now
        assert heard.get(timeout=5) == (JOBS_QUEUED, "")
        assert queue.delete(third, "key_n")  # a waiter on it learns it is gone
        assert heard.get(timeout=5) == (JOB_ENDED, third)
        assert nothing_more(heard)
    finally:
        listener.stop()


def test_the_listener_comes_back_after_postgresql_restarts() -> None:
    server = PostgresServer()  # its own cluster: the others' connections stay up
    try:
        server.create_database("n")
        db = Database(server.url("n"))
        upgrade(db)
        reconnected: queues.Queue[bool] = queues.Queue()
        listener, heard = listening(db, on_reconnect=lambda: reconnected.put(True), retry_seconds=0.2)
        try:
            server.restart()
            assert reconnected.get(timeout=30)
            assert listener.listening.wait(10)
            with db.write() as session:  # pool_pre_ping replaces the connections the restart cut
                notify(session, JOB_ENDED, "job_after")
            assert heard.get(timeout=5) == (JOB_ENDED, "job_after")
        finally:
            listener.stop()
            db.dispose()
    finally:
        server.close()
