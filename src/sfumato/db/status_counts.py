"""How many jobs in the database ended in each status, kept as they end and as they are deleted: /metrics
reads three rows instead of counting the whole history at each scrape (the live states, queued and
processing, are counted from their index, which holds only the jobs not yet ended).

Every change is written in the transaction that ends or deletes the jobs, as the last rows it locks, and in
the order of their status: a transaction holding a tally waits on nothing but another tally, taken in the same
order, so two of them never wait on each other in a circle.
"""

from collections import Counter
from collections.abc import Iterable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sfumato.db.tables import TallyRow
from sfumato.domain.jobs import TERMINAL


def ended(session: Session, status: str, jobs: int) -> None:
    """`jobs` jobs just ended in `status`."""
    _add(session, {status: jobs})


def deleted(session: Session, statuses: Iterable[str]) -> None:
    """Jobs in these statuses (one entry a job) were just deleted."""
    _add(session, {status: -count for status, count in Counter(statuses).items()})


def _add(session: Session, changes: dict[str, int]) -> None:
    for status in sorted(changes):
        if status in TERMINAL and changes[status]:
            session.execute(
                update(TallyRow).where(TallyRow.status == status).values(jobs=TallyRow.jobs + changes[status])
            )


def counts(session: Session) -> dict[str, int]:
    return {status: int(jobs) for status, jobs in session.execute(select(TallyRow.status, TallyRow.jobs))}
