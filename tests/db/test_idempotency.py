"""The idempotency_keys table below the services: each API key's own keys, freed one at a time or with
their jobs."""

from dataclasses import replace

from sfumato.db import idempotency
from sfumato.db.database import Database
from sfumato.db.idempotency import Remembered
from sfumato.db.keys import KeyStore
from sfumato.domain.ids import new_id
from tests.conftest import ManualClock


def second_key(db: Database, key_id: str) -> str:
    first = KeyStore(db).get(key_id)
    assert first is not None
    other = new_id("key")
    KeyStore(db).insert(replace(first, id=other), key_hash=new_id("hash"))
    return other


def test_a_key_is_remembered_per_api_key(db: Database, key_id: str, clock: ManualClock) -> None:
    other = second_key(db, key_id)
    now = clock.now()
    with db.write() as session:
        idempotency.remember(session, key_id, "retry-1", "f" * 64, "job_a", now)
        idempotency.remember(session, other, "retry-1", "e" * 64, "job_b", now)
    with db.read() as session:
        assert idempotency.find(session, key_id, "retry-1") == Remembered("f" * 64, "job_a", now)
        assert idempotency.find(session, other, "retry-1") == Remembered("e" * 64, "job_b", now)
        assert idempotency.find(session, key_id, "retry-2") is None


def test_forgetting_frees_only_that_api_keys_key(db: Database, key_id: str, clock: ManualClock) -> None:
    other = second_key(db, key_id)
    with db.write() as session:
        for owner, name, job in [(key_id, "a", "job_1"), (key_id, "b", "job_2"), (other, "a", "job_3")]:
            idempotency.remember(session, owner, name, "f" * 64, job, clock.now())
    with db.write() as session:
        idempotency.forget(session, key_id, "a")
    with db.read() as session:
        assert idempotency.find(session, key_id, "a") is None
        assert idempotency.find(session, key_id, "b") is not None  # another key of the same API key
        assert idempotency.find(session, other, "a") is not None  # the same key of another API key


def test_deleting_jobs_frees_their_keys_and_only_theirs(
    db: Database, key_id: str, clock: ManualClock
) -> None:
    with db.write() as session:
        for name, job in [("a", "job_1"), ("b", "job_2"), ("c", "job_3")]:
            idempotency.remember(session, key_id, name, "f" * 64, job, clock.now())
    with db.write() as session:
        idempotency.delete_of_jobs(session, ["job_1", "job_3"])
    with db.read() as session:
        assert [idempotency.find(session, key_id, name) is None for name in "abc"] == [True, False, True]
