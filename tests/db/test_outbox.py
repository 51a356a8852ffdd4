"""The webhook outbox: due deliveries are claimed once per lease, and an idle poll writes nothing."""

import pytest

from sfumato.db.database import Database
from sfumato.db.outbox import WebhookOutbox
from sfumato.db.tables import DeliveryRow as WebhookDelivery
from tests.conftest import ManualClock


def add(db: Database, clock: ManualClock, key_id: str, delivery_id: str) -> None:
    with db.write() as session:
        session.add(
            WebhookDelivery(
                id=delivery_id,
                key_id=key_id,
                job_id="job_" + delivery_id,
                url="https://hooks.example/x",
                event="job.succeeded",
                status="pending",
                attempts=0,
                next_attempt_at=clock.now(),
                created_at=clock.now(),
            )
        )


def test_an_idle_poll_takes_no_write_lock(
    db: Database, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_writes() -> None:
        raise AssertionError("an idle poll opened a write transaction")

    monkeypatch.setattr(db, "write", no_writes)
    assert WebhookOutbox(db, clock).claim(10) == []


def test_a_claimed_delivery_is_not_claimed_again_until_its_lease_lapses(
    db: Database, clock: ManualClock, key_id: str
) -> None:
    outbox = WebhookOutbox(db, clock, lease_seconds=60)
    add(db, clock, key_id, "msg_a")
    add(db, clock, key_id, "msg_b")
    assert sorted(due.id for due in outbox.claim(10)) == ["msg_a", "msg_b"]
    assert outbox.claim(10) == []  # another dispatcher finds them held
    clock.advance(seconds=61)  # the first dispatcher died mid-send
    assert len(outbox.claim(1)) == 1 and len(outbox.claim(10)) == 1
