import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError, OperationalError

from sfumato.db.database import POOL_SIZE, Database, normalize_url, read_only, retry, shown_url, unreachable
from sfumato.db.migrate import upgrade
from sfumato.db.tables import KeyRow
from sfumato.domain.errors import DatabaseReadOnly, DatabaseUnavailable
from tests.conftest import all_at_once


@pytest.mark.embedded
def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(db: Database) -> None:
    with db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 30000


@pytest.mark.embedded
def test_commits_leave_the_wal_to_the_checkpoint_which_copies_all_of_it(db: Database) -> None:
    with db.write() as session:
        session.execute(text("CREATE TABLE blobs (b BLOB)"))
    for _ in range(
        30
    ):  # about 1,500 pages of 4 KiB: past SQLite's own bound of 1,000, where a commit would copy
        with db.write() as session:
            session.execute(text("INSERT INTO blobs VALUES (randomblob(200000))"))
    result = db.checkpoint()
    assert result is not None
    frames, copied = result
    assert frames > 1_400  # no commit copied the WAL back and started it over
    assert copied == frames
    with db.read() as session:
        assert session.execute(text("SELECT count(*) FROM blobs")).scalar() == 30


@contextmanager
def held_open(db: Database, statement: str, *, write: bool) -> Iterator[None]:
    """A read or write transaction that ran `statement`, open in another thread until the block ends."""
    began, release = threading.Event(), threading.Event()

    def hold() -> None:
        with db.write() if write else db.read() as session:
            session.execute(text(statement))  # in the transaction db.read() or db.write() began
            began.set()
            assert release.wait(60)

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert began.wait(30)
        yield
    finally:
        release.set()
        thread.join()


def write_1500_pages(db: Database) -> None:
    """Thirty commits of about 50 pages each."""
    upgrade(db)
    with db.write() as session:
        session.execute(text("CREATE TABLE blobs (b BLOB)"))
    for _ in range(30):
        with db.write() as session:
            session.execute(text("INSERT INTO blobs VALUES (randomblob(200000))"))


def wal_after_1500_pages(db: Database) -> tuple[int, int]:
    """The WAL's frames since it last started over, and how many are copied, after 1,500 pages written."""
    write_1500_pages(db)
    result = db.checkpoint()
    assert result is not None
    return result


def test_a_commit_past_the_bound_checkpoints_and_a_bound_of_0_never_does(tmp_path: Path) -> None:
    bounded = Database(f"sqlite:///{tmp_path / 'bounded.db'}", autocheckpoint=500)
    never = Database(f"sqlite:///{tmp_path / 'never.db'}", autocheckpoint=0)
    try:
        # Past 500 frames a commit copied the WAL back, and the next one started it over: fewer frames now.
        assert wal_after_1500_pages(bounded)[0] < 1_000
        # With none in commits, every frame waited for the checkpoint: the one just taken copied all of them.
        frames, copied = wal_after_1500_pages(never)
        assert frames > 1_400 and copied == frames
        with never.engine.connect() as connection:
            assert connection.execute(text("PRAGMA wal_autocheckpoint")).scalar() == 0
    finally:
        bounded.dispose()
        never.dispose()


def test_past_its_bound_a_checkpoint_restarts_the_wal_waiting_briefly_for_readers(tmp_path: Path) -> None:
    # A busy timeout of ten minutes: a RESTART that waited for the reader as long would not end in this test.
    db = Database(f"sqlite:///{tmp_path / 'restart.db'}", busy_timeout=600, autocheckpoint=0)
    statements: list[str] = []
    event.listen(db.engine, "connect", lambda connection, _: connection.set_trace_callback(statements.append))
    try:
        write_1500_pages(db)  # none of it copied yet
        with held_open(db, "SELECT count(*) FROM blobs", write=False):  # a snapshot reading from the WAL
            done: list[tuple[int, int] | None] = []
            checking = threading.Thread(target=lambda: done.append(db.checkpoint(restart_past=1_000)))
            checking.start()
            checking.join(60)
            assert done, "the checkpoint waited for the reader"  # it gave up after RESTART_WAIT_MS
            assert statements.count("PRAGMA wal_checkpoint(RESTART)") == 1
        with db.engine.connect() as connection:  # the pool's connections wait as long as before
            assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 600_000
        held = db.checkpoint()  # the WAL as the RESTART that gave up left it: nothing has started it over
        assert held is not None and held[0] > 1_400
        db.checkpoint(restart_past=held[0])  # at its bound, not past it: passive only
        assert statements.count("PRAGMA wal_checkpoint(RESTART)") == 1
        with db.write() as session:  # that one copied everything: the next writer starts the WAL over
            session.execute(text("INSERT INTO blobs VALUES (randomblob(10))"))
        after = db.checkpoint(restart_past=1_000)
        assert after is not None and after[0] < 10
    finally:
        db.dispose()


@pytest.mark.embedded
def test_a_checkpoint_does_not_wait_for_a_writer_holding_the_lock(db: Database) -> None:
    with db.write() as session:
        session.execute(text("CREATE TABLE rows (n INTEGER)"))
        session.execute(text("INSERT INTO rows VALUES (1)"))
    with held_open(db, "INSERT INTO rows VALUES (2)", write=True):
        result = db.checkpoint()  # while the writer holds the lock: a checkpoint that waited would hang here
        assert result is not None and result[1] == result[0]  # what was committed before it is copied
    with db.read() as session:
        assert session.execute(text("SELECT count(*) FROM rows")).scalar() == 2


@pytest.mark.scaled_out
def test_postgresql_takes_no_checkpoint_from_the_service(db: Database) -> None:
    assert db.checkpoint() is None


@pytest.mark.embedded  # PostgreSQL's READ COMMITTED does not serialize these: the code locks rows instead
def test_concurrent_read_then_write_transactions_never_fail_with_locked(db: Database) -> None:
    # Each transaction reads, then writes: without BEGIN IMMEDIATE, SQLite fails some of these
    # at once with "database is locked", whatever the busy timeout.
    with db.write() as session:
        session.execute(text("CREATE TABLE counter (n INTEGER)"))
        session.execute(text("INSERT INTO counter VALUES (0)"))

    def bump() -> None:
        for _ in range(40):
            with db.write() as session:
                n = session.execute(text("SELECT n FROM counter")).scalar_one()
                session.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})

    _, errors = all_at_once(8, bump)
    assert errors == []
    with db.read() as session:
        assert session.execute(text("SELECT n FROM counter")).scalar_one() == 8 * 40  # no lost update


@pytest.mark.embedded  # SQLite's own wait for its write lock; PostgreSQL queues its row locks itself
def test_a_processs_writers_take_turns_without_leaving_the_lock_free_while_they_wait(db: Database) -> None:
    # SQLite's busy handler sleeps 1, 2, 5, 10… ms between looks at a taken lock: eight threads each writing
    # ten times, each write holding the lock for `hold`, took 1.7 times their holds end to end (the lock sat
    # free while waiters slept). Queued on a lock of the process, the next starts as the last commits.
    hold, threads, writes = 0.005, 8, 10
    with db.write() as session:
        session.execute(text("CREATE TABLE counter (n INTEGER)"))
        session.execute(text("INSERT INTO counter VALUES (0)"))

    def bump() -> None:
        for _ in range(writes):
            with db.write() as session:
                session.execute(text("UPDATE counter SET n = n + 1"))
                time.sleep(hold)  # the rest of the transaction's work, the GIL released as SQLite does

    started = time.monotonic()
    _, errors = all_at_once(threads, bump)
    took = time.monotonic() - started
    assert errors == []
    assert took < 1.4 * threads * writes * hold, f"{took:.3f} s for {threads * writes * hold:.3f} s of holds"


def test_reads_do_not_wait_for_a_writer(db: Database) -> None:
    with db.write() as writer:
        writer.execute(text("CREATE TABLE t (n INTEGER)"))
    with db.write() as writer:
        writer.execute(text("INSERT INTO t VALUES (1)"))
        with db.read() as reader:  # WAL: a reader sees the last commit while the write is open
            assert reader.execute(text("SELECT count(*) FROM t")).scalar_one() == 0


def test_postgresql_urls_use_psycopg_3() -> None:
    assert normalize_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_url("postgresql://u@h/db?options=x://y") == "postgresql+psycopg://u@h/db?options=x://y"
    assert normalize_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_url("sqlite:///x.db") == "sqlite:///x.db"


def test_a_database_url_is_shown_without_its_password() -> None:
    assert (
        shown_url("postgresql://sfumato:s3cret@db:5432/sfumato") == "postgresql://sfumato:***@db:5432/sfumato"
    )
    assert shown_url("sqlite:////data/sfumato.db") == "sqlite:////data/sfumato.db"


def test_an_sqlite_file_in_folders_that_do_not_exist_yet_is_created_with_them(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'a' / 'b' / 'sfumato.db'}")
    db.ping()
    assert (tmp_path / "a" / "b" / "sfumato.db").exists()
    db.dispose()


@pytest.mark.embedded
def test_a_pooled_sqlite_connection_serves_any_thread(db: Database) -> None:
    db.ping()  # the connection goes back to the pool, opened in this thread
    errors: list[BaseException] = []

    def elsewhere() -> None:
        try:
            with db.write() as session:
                session.execute(text("SELECT 1"))
        except BaseException as error:
            errors.append(error)

    worker = threading.Thread(target=elsewhere)
    worker.start()
    worker.join(30)
    assert errors == []


def test_what_a_write_returned_stays_readable_after_its_commit(db: Database, key_id: str) -> None:
    with db.write() as session:
        row = session.get(KeyRow, key_id)
    assert row is not None
    assert row.id == key_id and row.name == "k"  # no DetachedInstanceError: nothing expired at commit


class _DriverError(Exception):
    def __init__(self, message: str, sqlstate: str | None = None) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    ("driver_error", "fault"),
    [
        (_DriverError("could not extend file: No space left on device", "53100"), "full"),
        (_DriverError("cannot execute INSERT in a read-only transaction", "25006"), "read-only"),
        (_DriverError("database or disk is full"), "full"),
        (_DriverError("attempt to write a readonly database"), "read-only"),
        (_DriverError("server closed the connection unexpectedly", "08006"), None),
        (_DriverError('syntax error at or near "SELEC"', "42601"), None),
    ],
)
def test_a_database_that_takes_no_writes_is_told_from_one_that_is_away(
    driver_error: _DriverError, fault: str | None
) -> None:
    error = OperationalError("INSERT …", {}, driver_error)
    assert read_only(error) == fault
    if fault is not None:
        assert not unreachable(error)  # it answers: retrying at once, as for an outage, changes nothing


def test_a_full_sqlite_file_is_database_read_only_and_remembered_until_a_write_works(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'full.db'}")
    upgrade(db)
    limit = {"pages": 0}

    @event.listens_for(db.engine, "connect")
    def _cap(dbapi_connection: Any, _record: object) -> None:
        if limit["pages"]:
            dbapi_connection.execute(f"PRAGMA max_page_count = {limit['pages']}")

    with db.read() as session:
        limit["pages"] = session.execute(text("PRAGMA page_count")).scalar_one()
    db.engine.dispose()
    with pytest.raises(DatabaseReadOnly), db.write() as session:
        session.execute(text("CREATE TABLE filler (data BLOB)"))
        session.execute(text("INSERT INTO filler VALUES (zeroblob(1000000))"))
    assert db.write_fault == "full"
    limit["pages"] = 0
    db.engine.dispose()
    with db.write() as session:
        session.execute(text("SELECT 1"))
    assert db.write_fault is None
    db.dispose()


class _FakeTime:
    """`retry`'s clock: sleeping moves it on, and every pause is recorded."""

    def __init__(self) -> None:
        self.now = 100.0
        self.pauses: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.pauses.append(round(seconds, 3))
        self.now += seconds

    def monotonic(self) -> float:
        return self.now


def _failing(times: int, error: Exception, answer: int = 7) -> tuple[list[int], Any]:
    calls: list[int] = []

    def call() -> int:
        calls.append(1)
        if len(calls) <= times:
            raise error
        return answer

    return calls, call


def test_retry_tries_again_while_the_database_is_away_with_pauses_doubling_to_two_seconds() -> None:
    clock = _FakeTime()
    calls, call = _failing(7, DatabaseUnavailable())
    assert retry(call, seconds=60, sleep=clock.sleep, monotonic=clock.monotonic) == 7
    assert len(calls) == 8
    assert clock.pauses == [0.1, 0.2, 0.4, 0.8, 1.6, 2.0, 2.0]


def test_retry_gives_up_when_the_next_pause_would_pass_its_deadline() -> None:
    clock = _FakeTime()
    calls, call = _failing(100, DatabaseUnavailable())
    with pytest.raises(DatabaseUnavailable):
        retry(call, seconds=1.0, sleep=clock.sleep, monotonic=clock.monotonic)
    # 0.1 + 0.2 + 0.4 = 0.7 s waited; a pause of 0.8 more would end past 1 s
    assert clock.pauses == [0.1, 0.2, 0.4]
    assert len(calls) == 4


def test_retry_never_repeats_a_call_that_failed_for_another_reason() -> None:
    clock = _FakeTime()
    for error in (ValueError("a wrong statement"), OperationalError("UPDATE", {}, Exception("locked"))):
        calls, call = _failing(1, error)
        with pytest.raises(type(error)):
            retry(call, seconds=60, sleep=clock.sleep, monotonic=clock.monotonic)
        assert len(calls) == 1
    assert clock.pauses == []


def test_retry_stops_when_told_to() -> None:
    clock = _FakeTime()
    calls, call = _failing(5, DatabaseUnavailable())
    with pytest.raises(DatabaseUnavailable):
        retry(call, seconds=60, stop=lambda: len(calls) >= 2, sleep=clock.sleep, monotonic=clock.monotonic)
    assert len(calls) == 2
    assert clock.pauses == [0.1]


def test_retry_gives_up_only_past_its_deadline_not_at_it() -> None:
    clock = _FakeTime()
    clock.now = 0.0
    calls, call = _failing(100, DatabaseUnavailable())
    with pytest.raises(DatabaseUnavailable):
        # the second pause (0.2 s) ends exactly at the deadline: it is still taken
        retry(call, seconds=0.1 + 0.2, sleep=clock.sleep, monotonic=clock.monotonic)
    assert clock.pauses == [0.1, 0.2]
    assert len(calls) == 3


def test_retry_says_what_failed_and_how_long_it_waits(caplog: pytest.LogCaptureFixture) -> None:
    clock = _FakeTime()
    _, call = _failing(1, DatabaseUnavailable())
    with caplog.at_level(logging.WARNING, logger="sfumato.db.database"):
        retry(call, seconds=60, sleep=clock.sleep, monotonic=clock.monotonic)
    assert [record.getMessage() for record in caplog.records] == [
        "the database is away (DatabaseUnavailable); trying again in 0.1 s"
    ]


def test_a_connection_the_driver_lost_is_the_database_away() -> None:
    error = OperationalError("SELECT 1", {}, Exception("server closed the connection"))
    assert unreachable(error)
    invalidated = DBAPIError("SELECT 1", {}, Exception("terminating connection"), connection_invalidated=True)
    assert unreachable(invalidated)
    assert not unreachable(DBAPIError("SELECT 1", {}, Exception("division by zero")))
    assert unreachable(DatabaseUnavailable())
    assert not unreachable(OperationalError("UPDATE", {}, Exception("database is locked")))
    assert not unreachable(ValueError("no"))


def test_a_postgresql_database_pools_its_connections_and_pings_each_before_use() -> None:
    """The pool's settings, read from the engine (nothing connects until a query): a connection
    PostgreSQL dropped while idle (a restart, a failover) is replaced, not handed to a request."""
    db = Database("postgresql://sfumato@127.0.0.1:9/nowhere")
    pool = db.engine.pool
    assert db.engine.dialect.driver == "psycopg"
    assert (pool.size(), pool._max_overflow, pool._pre_ping) == (10, POOL_SIZE, True)  # type: ignore[attr-defined]
    with db.write() as session:  # writes need no BEGIN IMMEDIATE there: the same engine
        assert session.get_bind() is db.engine
    db.dispose()


@pytest.mark.embedded
def test_an_sqlite_database_pools_as_many_connections_as_threads_may_hold(db: Database) -> None:
    pool = db.engine.pool
    assert (pool.size(), pool._max_overflow) == (POOL_SIZE, POOL_SIZE)  # type: ignore[attr-defined]
