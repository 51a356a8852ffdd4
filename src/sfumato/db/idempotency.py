"""The idempotency_keys table, inside the transaction that creates a job (services.generation)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.orm import Session

from sfumato.db.records import record
from sfumato.db.tables import IdempotencyRow


@dataclass(frozen=True)
class Remembered:
    """A key sent before: the request it came with (its fingerprint) and the job it created."""

    fingerprint: str
    job_id: str
    created_at: datetime


def find(session: Session, key_id: str, idempotency_key: str) -> Remembered | None:
    row = session.get(IdempotencyRow, (key_id, idempotency_key))
    return record(Remembered, row) if row is not None else None


def forget(session: Session, key_id: str, idempotency_key: str) -> None:
    """The key is free again (it expired, or its job was deleted); takes effect when a write commits."""
    session.execute(
        delete(IdempotencyRow).where(
            IdempotencyRow.key_id == key_id, IdempotencyRow.idempotency_key == idempotency_key
        )
    )


def remember(
    session: Session, key_id: str, idempotency_key: str, fingerprint: str, job_id: str, now: datetime
) -> None:
    """Record the key with the job it created; a concurrent twin's commit makes this one fail
    (db.database.WriteConflict, on the primary key) at commit."""
    session.add(
        IdempotencyRow(
            key_id=key_id,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint,
            job_id=job_id,
            created_at=now,
        )
    )


def delete_of_jobs(session: Session, job_ids: Sequence[str]) -> None:
    session.execute(delete(IdempotencyRow).where(IdempotencyRow.job_id.in_(job_ids)))
