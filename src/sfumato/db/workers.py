"""The workers table: one heartbeat row a worker (domain.fleet), written by the worker's own heartbeat thread
every few seconds, read by API processes for the fleet's models, and swept when it is old."""

from datetime import datetime

from sqlalchemy import delete, select

from sfumato.db.database import Database
from sfumato.db.records import columns, record
from sfumato.db.tables import WorkerRow
from sfumato.domain.fleet import Heartbeat


class WorkerStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def beat(self, beat: Heartbeat, *, forget_before: datetime) -> None:
        """Record a worker's heartbeat, and sweep those not renewed since `forget_before`. Only the worker
        itself writes its row, so reading it first and then writing races with no one."""
        with self.db.write() as session:
            session.execute(delete(WorkerRow).where(WorkerRow.seen_at < forget_before))
            row = session.get(WorkerRow, beat.name)
            if row is None:
                session.add(WorkerRow(**columns(beat)))
            else:
                row.models, row.loaded, row.seen_at = list(beat.models), list(beat.loaded), beat.seen_at

    def leave(self, name: str) -> None:
        """A worker that stops (or drains) serves nothing more: its row goes at once."""
        with self.db.write() as session:
            session.execute(delete(WorkerRow).where(WorkerRow.name == name))

    def seen_since(self, since: datetime) -> list[Heartbeat]:
        """The heartbeats renewed since `since`, by worker name."""
        with self.db.read() as session:
            rows = session.scalars(
                select(WorkerRow).where(WorkerRow.seen_at >= since).order_by(WorkerRow.name)
            ).all()
            return [record(Heartbeat, row, models=list(row.models), loaded=list(row.loaded)) for row in rows]
