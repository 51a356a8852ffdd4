"""A pool's queue depth (db.pools), on a real PostgreSQL: the number the autoscaler reads is right for jobs of
several models and every status, and PostgreSQL finds it in the partial index of active jobs by model: it
reads the pool's own queue, never the history nor the other pools' queues."""

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

import pytest
from sqlalchemy import insert, text

from sfumato.db.database import Database
from sfumato.db.keys import KeyStore
from sfumato.db.pools import pool_depth, pool_query
from sfumato.db.tables import ACTIVE_JOBS, JobRow
from sfumato.domain.generation import GenerationRequest
from sfumato.domain.ids import new_id, new_webhook_secret
from sfumato.domain.keys import ApiKey
from sfumato.domain.models import MODELS
from tests.conftest import TEMPLATE
from tests.servers import PostgresServer

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
ODD = "it's a 50% :model"  # a quote for the literal, a % and a colon that no driver may take for a parameter
_names = count()


@pytest.fixture
def db(postgres: PostgresServer) -> Iterator[Database]:
    database = Database(postgres.create_database(f"pools_{next(_names)}", template=TEMPLATE))
    yield database
    database.dispose()


def add_jobs(db: Database, model: str, status: str, how_many: int) -> None:
    key = ApiKey(
        id=new_id("key"),
        name="pools",
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
    params = GenerationRequest(prompt="p", width=256, height=256).resolve(MODELS["tiny"], seed=0).to_dict()
    rows: list[dict[str, Any]] = [
        {
            "id": new_id("job"),
            "key_id": key.id,
            "status": status,
            "params": params,
            "model": model,
            "n": 1,
            "batch_key": model,
            "created_at": NOW - timedelta(seconds=i),
            "max_attempts": 3,
        }
        for i in range(how_many)
    ]
    with db.write() as session:
        session.execute(insert(JobRow), rows)


def test_a_pool_counts_its_models_queued_and_processing_jobs_and_nothing_else(db: Database) -> None:
    for model, statuses in {
        "sdxl-lightning": {"queued": 3, "processing": 2, "succeeded": 5, "failed": 1, "canceled": 1},
        "flux.1-schnell": {"queued": 1, "processing": 4, "succeeded": 7},
        "tiny": {"queued": 2},
        ODD: {"processing": 1, "failed": 2},
    }.items():
        for status, how_many in statuses.items():
            add_jobs(db, model, status, how_many)
    assert pool_depth(db, ["sdxl-lightning"]) == 5
    assert pool_depth(db, ["flux.1-schnell", "sdxl-lightning"]) == 10
    assert pool_depth(db, ["tiny"]) == 2
    assert pool_depth(db, [ODD]) == 1
    assert pool_depth(db, ["sd3.5-large-turbo"]) == 0  # served by no job yet: the pool may sleep


def test_the_same_models_in_any_order_are_the_same_query() -> None:
    assert pool_query(["b", "a", "b"]) == pool_query(["a", "b"])
    assert pool_query(["a"]) == (
        "SELECT count(*) FROM jobs WHERE status IN ('queued', 'processing') AND model IN ('a')"
    )


def test_a_pool_without_models_or_with_a_nul_in_a_name_has_no_query() -> None:
    with pytest.raises(ValueError):
        pool_query([])
    with pytest.raises(ValueError):
        pool_query(["a\x00b"])


def test_the_query_names_the_statuses_of_the_partial_index_it_is_answered_from() -> None:
    # The planner uses a partial index only where the query's condition implies the index's own.
    assert ACTIVE_JOBS in pool_query(["tiny"])


def test_postgresql_reads_the_active_jobs_from_the_index_not_the_history(db: Database) -> None:
    add_jobs(db, "sdxl-lightning", "succeeded", 20_000)  # a long history, ended
    add_jobs(db, "flux.1-schnell", "failed", 2_000)
    add_jobs(db, "sdxl-lightning", "queued", 12)
    add_jobs(db, "flux.1-schnell", "processing", 3)
    add_jobs(db, "tiny", "queued", 500)  # another pool's deep queue
    with db.write() as session:
        session.execute(text("ANALYZE jobs"))
    query = pool_query(["sdxl-lightning", "flux.1-schnell"])
    with db.read() as session:
        cursor = session.connection().connection.cursor()
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + query)
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    nodes = list(walk(plan[0]["Plan"]))
    scans = [node for node in nodes if node.get("Relation Name") == "jobs"]
    assert scans and all(node["Node Type"] != "Seq Scan" for node in scans), plan
    assert {node["Index Name"] for node in nodes if "Index Name" in node} == {"ix_jobs_active_model"}, plan
    removed = ("Rows Removed by Filter", "Rows Removed by Index Recheck")
    read = sum(node.get("Actual Rows", 0) + sum(node.get(r, 0) for r in removed) for node in scans)
    assert read <= 15  # the pool's 15 active jobs: none of the 22,000 ended, nor the other pool's 500
    assert pool_depth(db, ["sdxl-lightning", "flux.1-schnell"]) == 15


def walk(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from walk(child)
