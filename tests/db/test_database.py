from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError

from sfumato.db.database import Database, normalize_url, read_only, unreachable
from sfumato.db.migrate import upgrade
from sfumato.domain.errors import DatabaseReadOnly
from tests.conftest import all_at_once


@pytest.mark.embedded
def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(db: Database) -> None:
    with db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 30000


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


def test_reads_do_not_wait_for_a_writer(db: Database) -> None:
    with db.write() as writer:
        writer.execute(text("CREATE TABLE t (n INTEGER)"))
    with db.write() as writer:
        writer.execute(text("INSERT INTO t VALUES (1)"))
        with db.read() as reader:  # WAL: a reader sees the last commit while the write is open
            assert reader.execute(text("SELECT count(*) FROM t")).scalar_one() == 0


def test_postgresql_urls_use_psycopg_3() -> None:
    assert normalize_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_url("sqlite:///x.db") == "sqlite:///x.db"


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
