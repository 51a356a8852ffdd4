import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from sfumato.db import usage
from sfumato.db.database import Database
from sfumato.db.migrate import upgrade
from sfumato.db.tables import Base
from sfumato.db.tables import JobRow as Job
from sfumato.domain.batching import batch_key
from sfumato.domain.generation import GenerationRequest
from sfumato.domain.models import MODELS


def test_migrations_build_exactly_the_models_schema(db: Database) -> None:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection)
        assert compare_metadata(context, Base.metadata) == []


def test_upgrading_twice_changes_nothing(db: Database) -> None:
    upgrade(db)
    assert set(inspect(db.engine).get_table_names()) >= {"api_keys", "jobs", "images", "alembic_version"}


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_processes_starting_together_migrate_once(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    # Real processes, as serve and workers starting together are: Alembic's context is per process.
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'race.db'}"
    else:
        url = request.getfixturevalue("postgres").create_database(f"race_{tmp_path.name[-8:]}".lower())
    env = {k: v for k, v in os.environ.items() if not k.startswith("SFUMATO_")} | {
        "SFUMATO_DATABASE_URL": url
    }
    command = [sys.executable, "-m", "sfumato", "db", "upgrade"]
    processes = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for _ in range(4)
    ]
    outputs = [
        (process.wait(120), process.stdout.read().decode() if process.stdout else "") for process in processes
    ]
    assert [code for code, _ in outputs] == [0, 0, 0, 0], outputs
    database = Database(url)
    try:
        with database.read() as session:
            assert session.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
    finally:
        database.dispose()


def test_the_batching_migration_gives_queued_jobs_their_batch_key(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(database, "0001")
    params = {"model": "tiny", "width": 512, "height": 768, "steps": 4, "guidance_scale": 0.0}
    with database.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO api_keys (id, name, key_hash, prefix, plan, is_admin, created_at) "
                "VALUES ('key_1', 'k', 'h', 'sfm_', 'starter', 0, '2026-01-01 00:00:00')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO jobs (id, key_id, status, params, model, n, created_at, progress, attempts,"
                " max_attempts) VALUES ('job_1', 'key_1', 'queued', :params, 'tiny', 1,"
                " '2026-01-01 00:00:00', 0, 0, 3)"
            ),
            {"params": json.dumps(params | {"prompt": "p"})},
        )
    upgrade(database)
    same = GenerationRequest(prompt="p", width=512, height=768).resolve(MODELS["tiny"], seed=0)
    with database.read() as session:
        job = session.get(Job, "job_1")
        assert job is not None and job.batch_key == batch_key(same) == "tiny|512x768|4|off"
    database.dispose()


def test_the_usage_migration_charges_jobs_already_there_to_their_month(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(database, "0006")
    with database.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO api_keys (id, name, key_hash, prefix, plan, is_admin, created_at,"
                " webhook_secret) VALUES ('key_1', 'k', 'h', 'sfm_', 'starter', 0, '2026-01-01 00:00:00',"
                " 'whsec_x')"
            )
        )
        for job_id, status, n, created in [
            ("job_1", "succeeded", 2, "2026-01-31 23:59:59"),
            ("job_2", "queued", 3, "2026-02-01 00:00:00"),
            ("job_3", "failed", 4, "2026-02-02 00:00:00"),  # not charged: it failed
            ("job_4", "succeeded", 1, "2026-02-03 00:00:00"),
        ]:
            connection.execute(
                text(
                    "INSERT INTO jobs (id, key_id, status, params, model, n, created_at, progress,"
                    " attempts, max_attempts, batch_key) VALUES (:id, 'key_1', :status, '{}', 'tiny', :n,"
                    " :created, 0, 0, 3, '')"
                ),
                {"id": job_id, "status": status, "n": n, "created": created},
            )
    upgrade(database)
    with database.read() as session:
        assert usage.used(session, "key_1", "2026-01") == 2
        assert usage.used(session, "key_1", "2026-02") == 4
        months = {job.id: job.charged_month for job in session.query(Job).order_by(Job.id)}
    assert months == {"job_1": "2026-01", "job_2": "2026-02", "job_3": None, "job_4": "2026-02"}
    database.dispose()


def test_the_search_migration_gives_the_jobs_already_there_their_words(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(database, "0016")
    with database.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO api_keys (id, name, key_hash, prefix, plan, is_admin, created_at,"
                " webhook_secret) VALUES ('key_1', 'k', 'h', 'sfm_', 'starter', 0, '2026-01-01 00:00:00',"
                " 'whsec_x')"
            )
        )
        for job_id, params in [
            ("job_1", {"prompt": "Two foxes", "name": "untitled"}),
            ("job_2", {"prompt": "a whale", "name": "Sea"}),
            ("job_3", {}),  # a job with no prompt (as AUTOMATIC1111's clients may send) has no words
        ]:
            connection.execute(
                text(
                    "INSERT INTO jobs (id, key_id, status, params, model, n, created_at, progress,"
                    " attempts, max_attempts, batch_key) VALUES (:id, 'key_1', 'succeeded', :params, 'tiny',"
                    " 1, '2026-02-01 00:00:00', 1, 1, 3, '')"
                ),
                {"id": job_id, "params": json.dumps(params)},
            )
    upgrade(database)
    with database.read() as session:
        words = session.execute(text("SELECT job_id, word FROM job_words ORDER BY job_id, word")).all()
    assert [tuple(row) for row in words] == [
        ("job_1", "fox"),
        ("job_1", "foxes"),
        ("job_1", "two"),
        ("job_1", "untitled"),
        ("job_2", "a"),
        ("job_2", "sea"),
        ("job_2", "whale"),
    ]
    database.dispose()
