"""The dashboard_sessions table: a signed-in session is live while its row is and it is young enough."""

from datetime import datetime

from sqlalchemy import delete, select

from sfumato.db.database import Database
from sfumato.db.keys import key_of
from sfumato.db.tables import KeyRow, SessionRow
from sfumato.domain.keys import ApiKey


class SessionStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def start(self, session_id: str, key_id: str, now: datetime, *, expired_before: datetime) -> None:
        """A new session's row; the rows of sessions started before `expired_before` go at the same time."""
        with self.db.write() as session:
            session.execute(delete(SessionRow).where(SessionRow.created_at < expired_before))
            session.add(SessionRow(id=session_id, key_id=key_id, created_at=now))

    def key_of(self, session_id: str, key_id: str, *, started_after: datetime) -> ApiKey | None:
        """The key of a live session (its row there, started after `started_after`), revoked or not."""
        with self.db.read() as session:
            row = session.scalar(
                select(KeyRow)
                .join(SessionRow, SessionRow.key_id == KeyRow.id)
                .where(
                    SessionRow.id == session_id,
                    SessionRow.key_id == key_id,
                    SessionRow.created_at > started_after,
                )
            )
            return key_of(row) if row is not None else None

    def end(self, session_id: str) -> None:
        with self.db.write() as session:
            session.execute(delete(SessionRow).where(SessionRow.id == session_id))
