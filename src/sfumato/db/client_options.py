"""The client_options table: the settings a key's client keeps here, one row per key and client."""

from datetime import datetime
from typing import Any

from sfumato.db.database import Database
from sfumato.db.tables import ClientOptionsRow


class ClientOptionsStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, key_id: str, client: str) -> dict[str, Any]:
        with self.db.read() as session:
            row = session.get(ClientOptionsRow, (key_id, client))
            return dict(row.options) if row is not None else {}

    def put(self, key_id: str, client: str, options: dict[str, Any], now: datetime) -> None:
        with self.db.write() as session:
            row = session.get(ClientOptionsRow, (key_id, client))
            if row is None:
                session.add(ClientOptionsRow(key_id=key_id, client=client, options=options, updated_at=now))
            else:
                row.options, row.updated_at = options, now
