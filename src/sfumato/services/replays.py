"""Idempotency keys at submission (docs/api.md §7): the job an earlier request with the same key created."""

from sfumato.db import idempotency as remembered
from sfumato.db.database import Database, Transaction
from sfumato.db.jobs import with_images_in
from sfumato.domain.clock import Clock
from sfumato.domain.errors import IdempotencyKeyReused
from sfumato.domain.idempotency import KEPT_FOR, Idempotency
from sfumato.domain.keys import ApiKey
from sfumato.services.views import JobView


def replay(
    db: Database, clock: Clock, key: ApiKey, idempotency: Idempotency, tx: Transaction | None = None
) -> JobView | None:
    """The job an earlier request with this key created; IdempotencyKeyReused if that request was
    another one. Only inside a write (`tx`) is a key found expired, or whose job is gone, freed."""
    if tx is None:
        with db.read() as own:
            return _lookup(clock, key, idempotency, own, writing=False)
    return _lookup(clock, key, idempotency, tx, writing=True)


def _lookup(
    clock: Clock, key: ApiKey, idempotency: Idempotency, tx: Transaction, *, writing: bool
) -> JobView | None:
    now = clock.now()
    found = remembered.find(tx, key.id, idempotency.key)
    if found is None:
        return None
    if found.created_at <= now - KEPT_FOR:  # expired: the key is free again
        if writing:
            remembered.forget(tx, key.id, idempotency.key)
        return None
    if found.fingerprint != idempotency.fingerprint:
        raise IdempotencyKeyReused("this idempotency key was already used with another request")
    job = with_images_in(tx, found.job_id, now)
    if job is None:  # the job was deleted since: the key is free again
        if writing:
            remembered.forget(tx, key.id, idempotency.key)
        return None
    return JobView.of(job, replayed=True)
