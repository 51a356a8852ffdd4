"""The usage_months counts below the services: each key's own, never below zero, per month."""

from dataclasses import replace

from sfumato.db import usage
from sfumato.db.database import Database
from sfumato.db.keys import KeyStore
from sfumato.db.usage import UsageStore
from sfumato.domain.ids import new_id
from tests.conftest import ManualClock


def test_charges_and_refunds_touch_only_the_keys_own_month(
    db: Database, key_id: str, clock: ManualClock
) -> None:
    first = KeyStore(db).get(key_id)
    assert first is not None
    other = new_id("key")
    KeyStore(db).insert(replace(first, id=other), key_hash=new_id("hash"))
    with db.write() as session:
        assert usage.charge(session, key_id, "2026-11", 3, quota=None)
        assert usage.charge(session, other, "2026-11", 5, quota=None)
        assert usage.charge(session, key_id, "2026-12", 7, quota=None)
    with db.write() as session:
        assert usage.charge(session, key_id, "2026-11", 2, quota=5)  # 3 + 2 = 5: exactly the quota
        assert not usage.charge(session, key_id, "2026-11", 1, quota=5)  # the other key's 5 do not count
        usage.refund(session, [(key_id, "2026-11", 4)])
    store = UsageStore(db)
    assert store.used(key_id, "2026-11") == 1
    assert store.used(other, "2026-11") == 5
    assert store.used(key_id, "2026-12") == 7
    assert store.used(key_id, "2027-01") == 0


def test_a_refund_never_takes_a_count_below_zero(db: Database, key_id: str) -> None:
    with db.write() as session:
        usage.charge(session, key_id, "2026-11", 2, quota=None)
        usage.refund(session, [(key_id, "2026-11", 3)])
    assert UsageStore(db).used(key_id, "2026-11") == 2


def test_jobs_never_charged_give_nothing_back_and_the_others_are_still_refunded(
    db: Database, key_id: str
) -> None:
    with db.write() as session:
        usage.charge(session, key_id, "2026-11", 6, quota=None)
        usage.refund(
            session, [(key_id, None, 1), (key_id, "2026-11", 2), (key_id, None, 4), (key_id, "2026-11", 1)]
        )
    assert UsageStore(db).used(key_id, "2026-11") == 3


def test_charging_a_month_twice_adds_to_the_same_row(db: Database, key_id: str) -> None:
    for _ in range(3):
        with db.write() as session:
            assert usage.charge(session, key_id, "2026-11", 2, quota=6)
    with db.write() as session:
        assert not usage.charge(session, key_id, "2026-11", 1, quota=6)
        assert usage.used(session, key_id, "2026-11") == 6
