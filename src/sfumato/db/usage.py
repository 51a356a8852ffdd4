"""The usage_months table: monthly image quotas, counted in the database (docs/plans.md).

A job's images are charged in the transaction that creates it, by one conditional UPDATE: on
PostgreSQL the row lock makes concurrent charges queue and each re-checks the count it finds; on
SQLite the write lock does the same. So twenty requests racing for the last image let exactly one
through. A job that fails, or is canceled before it ran, gives its images back to the month that
paid for them, in the transaction that ends it.
"""

from collections.abc import Callable, Iterable

from sqlalchemy import select, update
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


def _ensure_row(session: Session, key_id: str, month: str) -> None:
    insert = _INSERT[session.get_bind().dialect.name](UsageRow)
    session.execute(insert.values(key_id=key_id, month=month, images=0).on_conflict_do_nothing())


def charge(session: Session, key_id: str, month: str, images: int, quota: int | None) -> bool:
    """Count `images` against the key's month; False (nothing counted) if that would pass `quota`."""
    _ensure_row(session, key_id, month)
    statement = update(UsageRow).where(UsageRow.key_id == key_id, UsageRow.month == month)
    if quota is not None:
        statement = statement.where(UsageRow.images + images <= quota)
    result = session.execute(statement.values(images=UsageRow.images + images))
    return bool(result.rowcount)  # type: ignore[attr-defined]


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
