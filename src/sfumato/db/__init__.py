"""Persistence: tables, migrations, sessions, and the job queue."""
