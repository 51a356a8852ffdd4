"""Cost that stays flat as the data grows (docs/architecture.md, "Cost as the data grows"), proven on 20k jobs
built by bench.scale's own data builder, after ANALYZE, on both databases.

The cost of a query is counted, not timed: on SQLite, the virtual machine's instructions (a progress handler
called at each one); on PostgreSQL, the rows each plan node produced or filtered out (EXPLAIN ANALYZE). Both
are the same on a fast machine and a slow one, and both grow with every row a query reads."""

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from bench import scale_data
from sfumato.db.database import Database
from sfumato.db.images import ImageStore
from sfumato.db.jobs import JobStore
from sfumato.db.keys import KeyStore
from sfumato.db.migrate import upgrade
from sfumato.domain.ids import new_id, new_webhook_secret
from sfumato.domain.jobs import JobStatus
from sfumato.domain.keys import ApiKey
from tests.conftest import Deployment

JOBS = 20_000
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


class Built:
    def __init__(self, db: Database, key_id: str, built: scale_data.Built) -> None:
        self.db, self.key_id, self.built = db, key_id, built
        self.jobs, self.images = JobStore(db), ImageStore(db)


def _key(db: Database, name: str) -> str:
    key = ApiKey(
        id=new_id("key"),
        name=name,
        prefix="sfm_",
        plan="starter",
        is_admin=False,
        rpm=None,
        monthly_images=None,
        created_at=NOW,
        revoked_at=None,
        webhook_secret=new_webhook_secret(),
    )
    KeyStore(db).insert(key, key_hash=new_id("hash"))
    return key.id


@pytest.fixture(scope="module")
def scaled(deployment: Deployment, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    settings = deployment.settings(tmp_path_factory.mktemp("scale") / "data")
    db = Database(settings.database_url)
    upgrade(db)
    key_id, other = _key(db, "scale"), _key(db, "other")
    yield Built(db, key_id, scale_data.build(db, key_id, other, JOBS, NOW))
    db.dispose()


def cost(db: Database, work: Callable[[], Any]) -> int:
    """What the statements `work` runs cost the database, counted as the module's docstring says."""
    statements: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        statements.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        work()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    # A write's own BEGIN IMMEDIATE (SQLite) is its lock, not a cost: the statements run again without it.
    statements = [
        (statement, parameters) for statement, parameters in statements if statement != "BEGIN IMMEDIATE"
    ]
    assert statements
    raw = db.engine.raw_connection()
    try:
        return sum(_sqlite_steps(raw, *s) if db.is_sqlite else _postgres_rows(raw, *s) for s in statements)
    finally:
        raw.close()


def _sqlite_steps(raw: Any, statement: str, parameters: Any) -> int:
    steps = 0

    def count() -> int:
        nonlocal steps
        steps += 1
        return 0

    connection = raw.driver_connection
    connection.set_progress_handler(count, 1)
    try:
        connection.execute(statement, parameters).fetchall()
    finally:
        connection.set_progress_handler(None, 1)
    return steps


def _postgres_rows(raw: Any, statement: str, parameters: Any) -> int:
    cursor = raw.cursor()
    cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters)
    plan = cursor.fetchone()[0]
    cursor.close()
    raw.rollback()

    def rows(node: dict[str, Any]) -> int:
        own = node.get("Actual Rows", 0) * node.get("Actual Loops", 1)
        own += node.get("Rows Removed by Filter", 0) + node.get("Rows Removed by Index Recheck", 0)
        return int(own) + sum(rows(child) for child in node.get("Plans", []))

    plan = json.loads(plan) if isinstance(plan, str) else plan
    return rows(plan[0]["Plan"])


def test_a_deep_page_of_jobs_costs_what_the_first_page_costs(scaled: Built) -> None:
    def page(after: str | None) -> Callable[[], Any]:
        return lambda: scaled.jobs.page(scaled.key_id, NOW, status=None, limit=20, after=after)

    first, deep = cost(scaled.db, page(None)), cost(scaled.db, page(scaled.built.job_cursor))
    assert deep <= 2 * first, (first, deep)
    assert len(page(scaled.built.job_cursor)().items) == 20


def test_a_deep_page_of_images_costs_what_the_first_page_costs(scaled: Built) -> None:
    def page(after: str | None, name: str | None = None) -> Callable[[], Any]:
        return lambda: scaled.images.page(scaled.key_id, NOW, name=name, limit=20, after=after)

    first = cost(scaled.db, page(None))
    assert cost(scaled.db, page(scaled.built.image_cursor)) <= 2 * first
    assert cost(scaled.db, page(scaled.built.image_cursor, scale_data.RARE)) <= 2 * first


def test_a_status_filter_reads_only_the_jobs_in_that_status(scaled: Built) -> None:
    first = cost(scaled.db, lambda: scaled.jobs.page(scaled.key_id, NOW, status=None, limit=20, after=None))
    none = cost(
        scaled.db, lambda: scaled.jobs.page(scaled.key_id, NOW, status=JobStatus.FAILED, limit=20, after=None)
    )
    assert none <= first, (first, none)


def test_counting_jobs_for_metrics_costs_the_same_whatever_the_history(scaled: Built, tmp_path: Path) -> None:
    before = cost(scaled.db, scaled.jobs.counts)
    assert scaled.jobs.counts()["succeeded"] == JOBS + 50  # the other key's 50 too
    scale_data.build(scaled.db, _key(scaled.db, "more"), _key(scaled.db, "more's neighbour"), 1000, NOW)
    assert scaled.jobs.counts()["succeeded"] == JOBS + 50 + 1050
    assert cost(scaled.db, scaled.jobs.counts) <= before


def test_a_search_reads_the_jobs_of_its_rarest_word_not_the_history(scaled: Built) -> None:
    """Every job's prompt holds "lighthouse"; one in a thousand is named "rare" (bench/scale_data.py)."""

    def search(*terms: str) -> Callable[[], Any]:
        return lambda: scaled.jobs.page(scaled.key_id, NOW, status=None, limit=20, after=None, terms=terms)

    first = cost(scaled.db, lambda: scaled.jobs.page(scaled.key_id, NOW, status=None, limit=20, after=None))
    assert len(search("rare")().items) == 20 and len(search("lighthouse", "rare")().items) == 20
    assert cost(scaled.db, search("lighthouse")) <= 2 * first
    assert cost(scaled.db, search("rare")) <= 2 * first
    # Two words: read by the rarer, whichever comes first. Counting which is rarer reads at most 1000 rows of
    # each (at most 10 of SQLite's instructions, or one PostgreSQL row, a row); read by the commoner word, the
    # search would read all 20,000 jobs (over 100,000 on either count, measured).
    assert cost(scaled.db, search("lighthouse", "rare")) <= 2 * first + 2 * 1000 * 10
    assert cost(scaled.db, search("nowhere")) <= first


def test_the_active_jobs_cost_the_same_whatever_the_history(scaled: Built) -> None:
    # AUTOMATIC1111's clients poll /sdapi/v1/progress, which reads them, every second.
    new = _key(scaled.db, "new")
    alone = cost(scaled.db, lambda: scaled.jobs.active(new))
    assert cost(scaled.db, lambda: scaled.jobs.active(scaled.key_id)) <= 2 * alone, alone
