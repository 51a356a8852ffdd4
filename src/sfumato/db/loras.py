"""The loras table: records out (domain.loras.Lora). A key reaches its own adapters and the shared ones (no
key: the operator's), never another key's; every lookup here says so in its WHERE."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, delete, func, or_, select
from sqlalchemy.exc import IntegrityError

from sfumato.db.database import Database, WriteConflict
from sfumato.db.pagination import paginate
from sfumato.db.records import columns, record
from sfumato.db.tables import KeyRow, LoraRow
from sfumato.domain.loras import Lora
from sfumato.domain.pages import Page


def lora_of(row: Any) -> Lora:
    return record(Lora, row, modules=dict(row.modules), trigger_words=list(row.trigger_words))


def _usable(key_id: str | None) -> ColumnElement[bool]:
    """A key's own adapters and the shared ones; without a key (the operator), the shared ones."""
    shared = LoraRow.key_id.is_(None)
    return or_(LoraRow.key_id == key_id, shared) if key_id is not None else shared


class NameTaken(Exception):
    """An adapter of that name is already the key's (or, for a shared one, shared)."""


class LoraStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def insert(self, lora: Lora, *, storage_limit: int | None) -> bool:
        """Add the adapter if its name is free and, for a key's own, if the key's adapters and it fit in
        `storage_limit` bytes (None: no bound); False when they would not. NameTaken when the name is."""
        try:
            with self.db.write() as session:
                owner = lora.key_id
                if owner is not None and storage_limit is not None:
                    # The key's row, locked: two uploads of one key count their bytes one after the other.
                    session.execute(select(KeyRow.id).where(KeyRow.id == owner).with_for_update())
                    held = session.scalar(
                        select(func.coalesce(func.sum(LoraRow.size), 0)).where(LoraRow.key_id == owner)
                    )
                    if int(held or 0) + lora.size > storage_limit:
                        return False
                same = LoraRow.key_id.is_(None) if owner is None else LoraRow.key_id == owner
                if session.scalar(select(LoraRow.id).where(same, LoraRow.name == lora.name)) is not None:
                    raise NameTaken(lora.name)
                session.add(LoraRow(**columns(lora)))
        except (IntegrityError, WriteConflict):  # a twin of the same name committed first
            raise NameTaken(lora.name) from None
        return True

    def used_bytes(self, key_id: str) -> int:
        """What the key's own adapters hold."""
        with self.db.read() as session:
            total = session.scalar(
                select(func.coalesce(func.sum(LoraRow.size), 0)).where(LoraRow.key_id == key_id)
            )
            return int(total or 0)

    def page(self, key_id: str | None, *, limit: int, after: str | None) -> Page[Lora]:
        """The key's own adapters and the shared ones, newest first."""
        with self.db.read() as session:
            query = select(LoraRow).where(_usable(key_id))
            return paginate(session, query, LoraRow, lora_of, limit=limit, after=after)

    def usable(self, key_id: str | None, family: str | None = None) -> list[Lora]:
        """Every adapter the key may use (of `family`), by name; its own before a shared one of that name."""
        query = select(LoraRow).where(_usable(key_id))
        if family is not None:
            query = query.where(LoraRow.family == family)
        with self.db.read() as session:
            found = [lora_of(row) for row in session.scalars(query.order_by(LoraRow.name, LoraRow.key_id))]
        return sorted(found, key=lambda lora: (lora.name, lora.shared))

    def get(self, key_id: str | None, lora_id: str) -> Lora | None:
        with self.db.read() as session:
            row = session.scalar(select(LoraRow).where(LoraRow.id == lora_id, _usable(key_id)))
            return lora_of(row) if row is not None else None

    def named(self, key_id: str | None, names: Sequence[str], ids: Sequence[str]) -> dict[str, Lora]:
        """The adapters a request names, by name and by id (a key's own name before a shared one)."""
        if not names and not ids:
            return {}
        wanted = or_(LoraRow.name.in_(names), LoraRow.id.in_(ids))
        with self.db.read() as session:
            rows = session.scalars(select(LoraRow).where(_usable(key_id), wanted)).all()
        found: dict[str, Lora] = {}
        for lora in sorted((lora_of(row) for row in rows), key=lambda lora: not lora.shared):
            if lora.id in ids:
                found[lora.id] = lora
            if lora.name in names:
                found[lora.name] = lora  # the key's own, read last, wins
        return found

    def delete(self, key_id: str | None, lora_id: str) -> Lora | None:
        """Remove an adapter of this key (None: a shared one); the record removed, or None."""
        owned = LoraRow.key_id.is_(None) if key_id is None else LoraRow.key_id == key_id
        with self.db.write() as session:
            row = session.scalar(select(LoraRow).where(LoraRow.id == lora_id, owned))
            if row is None:
                return None
            lora = lora_of(row)
            session.execute(delete(LoraRow).where(LoraRow.id == lora_id))
        return lora
