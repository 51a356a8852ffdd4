import pytest
from sqlalchemy import text

from sfumato.db.database import Database, normalize_url
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
