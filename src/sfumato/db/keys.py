"""The api_keys table: one method per query, records out (domain.keys.ApiKey)."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from sfumato.db.database import Database
from sfumato.db.pagination import paginate
from sfumato.db.records import columns, record
from sfumato.db.tables import KeyRow
from sfumato.domain.keys import ApiKey
from sfumato.domain.pages import Page


def key_of(row: Any) -> ApiKey:
    return record(ApiKey, row)


class KeyStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def insert(self, key: ApiKey, key_hash: str) -> None:
        row = KeyRow(**columns(key, key_hash=key_hash))
        with self.db.write() as session:
            session.add(row)

    def by_hash(self, key_hash: str) -> ApiKey | None:
        with self.db.read() as session:
            row = session.scalar(select(KeyRow).where(KeyRow.key_hash == key_hash))
            return key_of(row) if row is not None else None

    def get(self, key_id: str) -> ApiKey | None:
        with self.db.read() as session:
            row = session.get(KeyRow, key_id)
            return key_of(row) if row is not None else None

    def all(self) -> list[ApiKey]:
        """Every key, revoked ones too, oldest first."""
        with self.db.read() as session:
            return [
                key_of(row) for row in session.scalars(select(KeyRow).order_by(KeyRow.created_at, KeyRow.id))
            ]

    def page(self, *, limit: int, after: str | None) -> Page[ApiKey]:
        """Every key, revoked ones too, newest first."""
        with self.db.read() as session:
            return paginate(session, select(KeyRow), KeyRow, key_of, limit=limit, after=after)

    def change(self, key_id: str, terms: Mapping[str, Any]) -> ApiKey | None:
        """Set the given columns (plan, rpm, monthly_images, max_queued, max_priority, name); the key as it
        is after."""
        with self.db.write() as session:
            if terms:
                session.execute(update(KeyRow).where(KeyRow.id == key_id).values(**terms))
            row = session.get(KeyRow, key_id)
            return key_of(row) if row is not None else None

    def revoke(self, key_id: str, now: datetime) -> ApiKey | None:
        """Revoke the key unless it already is; the key as it is after."""
        with self.db.write() as session:
            session.execute(
                update(KeyRow).where(KeyRow.id == key_id, KeyRow.revoked_at.is_(None)).values(revoked_at=now)
            )
            row = session.get(KeyRow, key_id)
            return key_of(row) if row is not None else None
