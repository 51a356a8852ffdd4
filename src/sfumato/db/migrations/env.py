"""Alembic's environment: runs on the connection sfumato.db.migrate hands it, never opens its own."""

from alembic import context

from sfumato.db.tables import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `sfumato db upgrade`, which passes the connection in")

context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
context.run_migrations()
