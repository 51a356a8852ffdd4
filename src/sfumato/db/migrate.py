"""Applies the Alembic migrations; serve, worker and `sfumato db upgrade` call it on start."""

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, text

from sfumato.db.database import Database

# Any constant: PostgreSQL holds it while one process migrates, so two starting together take turns.
_PG_MIGRATION_LOCK = 0x5F0A7015


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", "sfumato.db:migrations")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(db: Database, revision: str = "head") -> None:
    # One write transaction: on SQLite, BEGIN IMMEDIATE makes a second process wait, then find
    # the schema current; on PostgreSQL an advisory lock does the same.
    with db.write_connection() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
        command.upgrade(alembic_config(connection), revision)
