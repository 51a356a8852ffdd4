"""The queue's depth for one pool of workers: the jobs of the pool's models that are queued or processing.
It is the number an autoscaler sizes that pool by (KEDA's PostgreSQL scaler, deploy/; docs/deployment.md,
"Autoscaling"), and the scaler runs SQL text as it is written, with no parameters: `pool_query` writes that
text for a set of model names (`sfumato db pool-query` prints it), and `pool_depth` runs the very same text.
PostgreSQL answers it from the partial index `ix_jobs_active_model`, which holds only the jobs that are queued
or processing, so its cost follows the queue, never the history."""

from collections.abc import Iterable

from sqlalchemy import select

from sfumato.db.database import Database
from sfumato.db.tables import JobRow
from sfumato.domain.jobs import JobStatus

ACTIVE = (JobStatus.QUEUED, JobStatus.PROCESSING)


def _literal(value: str) -> str:
    """A SQL string literal: quotes doubled (standard_conforming_strings, PostgreSQL's default since 9.1)."""
    if "\x00" in value:
        raise ValueError("a model name cannot hold a NUL character")
    return "'" + value.replace("'", "''") + "'"


def pool_query(models: Iterable[str]) -> str:
    """The count of the pool's queued and processing jobs, as one line of SQL; the same models in any order
    give the same text."""
    names = sorted(set(models))
    if not names:
        raise ValueError("a pool serves at least one model")
    statuses = ", ".join(_literal(status.value) for status in ACTIVE)
    listed = ", ".join(_literal(name) for name in names)
    return f"SELECT count(*) FROM jobs WHERE status IN ({statuses}) AND model IN ({listed})"


def pool_depth(db: Database, models: Iterable[str]) -> int:
    """Run `pool_query` as the autoscaler does: the text itself, with no parameters, straight to the driver
    (so a `%` or a `:` in a model name is only text)."""
    query = pool_query(models)
    with db.read() as session:
        cursor = session.connection().connection.cursor()
        try:
            cursor.execute(query)
            (depth,) = cursor.fetchone() or (0,)
            return int(depth)
        finally:
            cursor.close()


def queued_models(db: Database) -> list[str]:
    """The models that queued jobs ask for, by name (from the partial index of the active jobs)."""
    with db.read() as session:
        found = session.scalars(
            select(JobRow.model).where(JobRow.status == JobStatus.QUEUED).distinct().order_by(JobRow.model)
        )
        return list(found)
