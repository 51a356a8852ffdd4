"""What every end of a job brings, written in the transaction that ends it: its webhook delivery, its refund
when one is due (domain.plans.refunded), its count in db.status_counts, and the signal that wakes whoever
waits on it in any process."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from sfumato.db import status_counts, usage
from sfumato.db.notify import JOB_ENDED, notify
from sfumato.db.outbox import enqueue_events
from sfumato.db.tables import JobRow
from sfumato.domain.clock import Clock
from sfumato.domain.jobs import JobStatus, ended_event
from sfumato.domain.plans import refunded

# What the UPDATE that ends jobs returns, so their deliveries and refunds need no second query.
ENDED = (JobRow.id, JobRow.key_id, JobRow.params, JobRow.n, JobRow.charged_month)


def record_end(
    session: Session, clock: Clock, ended: Sequence[Any], before: JobStatus, after: JobStatus
) -> None:
    """`ended`: rows of ENDED, jobs that just moved from `before` to `after` in this transaction."""
    enqueue_events(session, clock, ended, ended_event(after))
    if refunded(before, after):
        usage.refund(session, [(row.key_id, row.charged_month, row.n) for row in ended])
    status_counts.ended(session, after, len(ended))  # the last row this transaction locks (db.status_counts)
    for row in ended:
        notify(session, JOB_ENDED, row.id)
