"""The usage_months table: monthly image quotas, counted in the database (docs/plans.md).

A job's images are charged in the transaction that creates it, by one conditional UPDATE: on
PostgreSQL the row lock makes concurrent charges queue and each re-checks the count it finds; on
SQLite the write lock does the same. So twenty requests racing for the last image let exactly one
through. A job that fails, or is canceled before it ran, gives its images back to the month that
paid for them, in the transaction that ends it.
"""

from collections.abc import Callable, Iterable
from functools import cache
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects.postgresql import Insert as PgInsert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from sfumato.db.database import Database
from sfumato.db.tables import UsageRow

# The two databases Sfumato runs on, each with its own INSERT … ON CONFLICT DO NOTHING.
_INSERT: dict[str, Callable[[type[UsageRow]], PgInsert | SqliteInsert]] = {
    "postgresql": pg_insert,
    "sqlite": sqlite_insert,
}


@cache
def _charges(dialect: str) -> tuple[Any, Any, Any]:
    """charge's statements, built once (every submission runs them): the month's row made if missing, and
    the count raised without a quota and within one."""
    ensure = _INSERT[dialect](UsageRow).values(key_id=bindparam("key_id"), month=bindparam("month"), images=0)
    raise_ = (
        update(UsageRow)
        .where(UsageRow.key_id == bindparam("the_key"), UsageRow.month == bindparam("the_month"))
        .values(images=UsageRow.images + bindparam("more"))
    )
    within = raise_.where(UsageRow.images + bindparam("more") <= bindparam("quota"))
    return ensure.on_conflict_do_nothing(), raise_, within


def charge(session: Session, key_id: str, month: str, images: int, quota: int | None) -> bool:
    """Count `images` against the key's month; False (nothing counted) if that would pass `quota`.

    The month's row is raised first, one statement; only when that changes nothing (the month's first
    job, or one past the quota) is the row made if missing and raised again."""
    ensure, raise_, within = _charges(session.get_bind().dialect.name)
    connection = session.connection()  # Core statements in the session's transaction: no ORM on this path
    where = {"the_key": key_id, "the_month": month, "more": images}
    statement, values = (raise_, where) if quota is None else (within, where | {"quota": quota})
    if connection.execute(statement, values).rowcount:
        return True
    connection.execute(ensure, {"key_id": key_id, "month": month, "images": 0})
    return bool(connection.execute(statement, values).rowcount)


def refund(session: Session, jobs: Iterable[tuple[str, str | None, int]]) -> None:
    """Give back each (key_id, charged_month, n); jobs never charged (charged_month None) give nothing."""
    for key_id, month, images in jobs:
        if month is None:
            continue
        session.execute(
            update(UsageRow)
            .where(UsageRow.key_id == key_id, UsageRow.month == month, UsageRow.images >= images)
            .values(images=UsageRow.images - images)
        )


def used(session: Session, key_id: str, month: str) -> int:
    return (
        session.scalar(select(UsageRow.images).where(UsageRow.key_id == key_id, UsageRow.month == month)) or 0
    )


class UsageStore:
    """Reads of the counts outside a job's transaction (GET /v1/usage)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def used(self, key_id: str, month: str) -> int:
        with self.db.read() as session:
            return used(session, key_id, month)
