"""Engines and sessions. Reads and writes take separate paths so SQLite never fails a write midway.

SQLite allows one writer. A transaction that reads first and writes later may find, at its first
write, that another writer got there in between, and then fails at once with "database is locked",
whatever the busy timeout. Write sessions therefore start with BEGIN IMMEDIATE, which takes the
write lock up front and waits (busy_timeout) for it; read sessions start a plain deferred BEGIN and,
in WAL mode, never wait for writers. PostgreSQL needs neither.

SQLite's own wait for the write lock polls: a writer that finds it taken sleeps 1, 2, 5, 10… ms and
looks again, so under many concurrent writes the lock sits free while its waiters sleep. The threads of
one process therefore queue for it on a lock of their own, taken before BEGIN IMMEDIATE: the next one
starts the moment the last commits. SQLite's busy timeout is left for writers in other processes.
"""

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, make_url, text
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from sfumato.domain.errors import DatabaseReadOnly, DatabaseUnavailable

log = logging.getLogger(__name__)
T = TypeVar("T")

# What services hold while several of db/'s calls must commit together (a job with its quota charge
# and idempotency key): they open it with Database.write() and pass it on, and never use it themselves.
Transaction = Session


class WriteConflict(Exception):
    """A write broke a unique or foreign key: a concurrent twin committed first, or a row it refers to
    was deleted meanwhile. Nothing of the transaction was stored."""


POOL_SIZE = 48
# Past this many frames in the WAL since it last started over (not frames still to copy), SQLite checkpoints
# after every commit, two fsyncs that the committing caller waits for: on a busy database, every commit.
# SQLite runs that checkpoint after the write lock is released: only that caller waits. An API process opens
# its database with 0, none in commits (sfumato/roots/api.py); its sweeper's handle, a worker process and
# the command line keep this bound, a WAL of about 40 MB.
AUTOCHECKPOINT_PAGES = 10_000
RESTART_WAIT_MS = 10  # the longest a RESTART checkpoint waits for the writer, then for readers (checkpoint)


def normalize_url(url: str) -> str:
    """`postgresql://` means the psycopg 3 driver; everything else passes through."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def shown_url(url: str) -> str:
    """The database's address as logs and messages may show it: without its password."""
    return make_url(normalize_url(url)).render_as_string(hide_password=True).replace("+psycopg", "")


def read_only(error: BaseException) -> str | None:
    """ "full" or "read-only" when `error` says the database answers but takes no writes; None otherwise."""
    if not isinstance(error, DBAPIError):
        return None
    state = getattr(error.orig, "sqlstate", None) or ""
    text = str(error.orig).lower()
    # SQLSTATE 53…: insufficient resources (disk_full among them); 25006: read_only_sql_transaction.
    if state.startswith("53") or "database or disk is full" in text:
        return "full"
    if state == "25006" or "readonly database" in text:
        return "read-only"
    return None


def unreachable(error: BaseException) -> bool:
    """Whether `error` says the database is away (restarting, failed over, the network), rather than
    that a statement was wrong: the same work may succeed once it is back."""
    if isinstance(error, DatabaseUnavailable):
        return True
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    if read_only(error):
        return False  # it answers; trying again at once changes nothing
    return isinstance(error, OperationalError | InterfaceError) and "locked" not in str(error)


def retry(
    call: Callable[[], T],
    *,
    seconds: float,
    stop: Callable[[], bool] = lambda: False,
    sleep: Callable[[float], None] = time.sleep,
    monotonic: Callable[[], float] = time.monotonic,
) -> T:
    """`call`, again after each error that says the database is away, for up to `seconds`: pauses of
    0.1 s doubling to 2 s between tries (`sleep` and `monotonic` are the tests' to replace).

    Only for calls that are safe to repeat: a commit whose answer was lost may have landed."""
    deadline = monotonic() + seconds
    pause = 0.1
    while True:
        try:
            return call()
        except Exception as error:
            if not unreachable(error) or monotonic() + pause > deadline or stop():
                raise
            log.warning("the database is away (%s); trying again in %.1f s", type(error).__name__, pause)
            sleep(pause)
            pause = min(pause * 2, 2.0)


@contextmanager
def _translated(faults: "Database | None" = None) -> Iterator[None]:
    """A database that is away becomes DatabaseUnavailable, one that takes no writes DatabaseReadOnly,
    which the layers above understand (the API answers 503 with Retry-After); the driver's own error stays
    in the log and as the cause. A write's outcome is remembered on `faults` (for /readyz)."""
    try:
        yield
    except IntegrityError as error:
        raise WriteConflict(str(error.orig)) from error
    except (OperationalError, InterfaceError, DBAPIError) as error:
        if (fault := read_only(error)) is not None:
            log.error("the database takes no writes (%s): %s", fault, error)
            if faults is not None:
                faults.write_fault = fault
            raise DatabaseReadOnly() from error
        if not unreachable(error):
            raise
        log.warning("the database is unreachable: %s", error)
        raise DatabaseUnavailable() from error
    if faults is not None:
        faults.write_fault = None


class Database:
    def __init__(
        self, url: str, *, busy_timeout: float = 30.0, autocheckpoint: int = AUTOCHECKPOINT_PAGES
    ) -> None:
        """`autocheckpoint`: SQLite's WAL frames past which a commit checkpoints, 0 for never."""
        self.url = make_url(normalize_url(url))
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        self._busy_ms = int(busy_timeout * 1000)
        # This process's turn at SQLite's lock. Reentrant: a write opened inside another on the same thread
        # then meets SQLite's busy timeout and fails, as it always did, rather than hanging here.
        self._writers = threading.RLock() if self.is_sqlite else None
        self._writer: Engine
        self._single: Engine | None = None  # SQLite: statements outside any transaction (reading)
        if self.is_sqlite:
            self.engine = self._sqlite_engine(autocheckpoint)
            self._writer = self.engine.execution_options(sqlite_begin="IMMEDIATE")
            self._single = self.engine.execution_options(sqlite_begin=None)
        else:
            self.engine = create_engine(self.url, pool_pre_ping=True, pool_size=10, max_overflow=POOL_SIZE)
            self._writer = self.engine
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self.write_fault: str | None = None  # "full" or "read-only" after a write that failed so
        self._write = sessionmaker(self._writer, expire_on_commit=False)

    def _sqlite_engine(self, autocheckpoint: int) -> Engine:
        if self.url.database:  # a file (the pool settings below rule out ":memory:")
            Path(self.url.database).parent.mkdir(parents=True, exist_ok=True)
        # SQLAlchemy opens a pooled file with check_same_thread=False (any thread may hold a connection);
        # the busy timeout is set by the first pragma below.
        engine = create_engine(
            self.url,
            # As many as the threads that may hold one (anyio's pool of 40, the worker's, the CLI's):
            # a connection opened past the pool is closed on return, and opening one costs its pragmas.
            pool_size=POOL_SIZE,
            max_overflow=POOL_SIZE,
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, below
            cursor = dbapi_connection.cursor()
            cursor.execute(f"PRAGMA busy_timeout={self._busy_ms}")  # first: WAL may wait
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute(f"PRAGMA wal_autocheckpoint={int(autocheckpoint)}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(connection: Connection) -> None:
            mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
            if mode is not None:  # None: each statement on its own (Database.reading)
                connection.exec_driver_sql(f"BEGIN {mode}")

        return engine

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reads only; it never commits."""
        with _translated(), self._read() as session:
            yield session

    @contextmanager
    def reading(self, *, transaction: bool = True) -> Iterator[Connection]:
        """A connection for reads of Core statements (no ORM session, no objects: the hottest reads, a
        job polled many times a second), in one transaction that never writes. `transaction=False`, for
        one statement, which needs none: on SQLite no BEGIN and no ROLLBACK, the statement is its own
        snapshot."""
        if transaction or self._single is None:
            with _translated(), self.engine.connect() as connection, connection.begin():
                yield connection
        else:
            with _translated(), self._single.connect() as connection:
                yield connection

    @property
    def writers_at_once(self) -> int | None:
        """How many of a process's threads should be writing at once, where it matters: SQLite has one write
        lock, and two threads keep it busy (one commits while the next gets ready); more only take the GIL
        from the one holding the lock, which then holds it longer (docs/benchmarks.md, "The API's own cost").
        None on PostgreSQL, whose writers wait on the network and on their own rows."""
        return 2 if self.is_sqlite else None

    @contextmanager
    def _turn(self) -> Iterator[None]:
        """SQLite: this thread's turn among the process's writers (the module's docstring)."""
        if self._writers is None:
            yield
            return
        with self._writers:
            yield

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session in one write transaction: committed on exit, rolled back on error."""
        with self._turn(), _translated(self), self._write.begin() as session:
            yield session

    @contextmanager
    def write_connection(self) -> Iterator[Connection]:
        """A connection in one write transaction, for migrations."""
        with self._turn(), self._writer.begin() as connection:
            yield connection

    def checkpoint(self, *, restart_past: int | None = None) -> tuple[int, int] | None:
        """SQLite: copy the WAL's pages into the database file as far as no reader still needs them; returns
        the frames the WAL holds and how many of them are copied now. A passive checkpoint: it neither waits
        for nor holds up a writer. None on PostgreSQL, which checkpoints by itself.

        Under a steady stream of commits a passive checkpoint never ends with everything copied, and only then
        does the next writer start the WAL over: it grows without end. Past `restart_past` frames, a RESTART
        checkpoint follows, which holds writers off while it copies the little the passive one left and waits
        for readers; it waits at most RESTART_WAIT_MS for either, and gives up (to try again next time)."""
        if not self.is_sqlite:
            return None
        connection = self.engine.raw_connection()  # no BEGIN: a checkpoint runs outside any transaction
        try:
            cursor = connection.cursor()
            _, frames, copied = cursor.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            if restart_past is not None and frames > restart_past:
                cursor.execute(f"PRAGMA busy_timeout={RESTART_WAIT_MS}")
                try:
                    _, frames, copied = cursor.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()
                finally:
                    cursor.execute(f"PRAGMA busy_timeout={self._busy_ms}")
            cursor.close()
        finally:
            connection.close()
        return frames, copied

    def ping(self) -> None:
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()
