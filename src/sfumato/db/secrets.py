"""The secrets table: a secret is made once, by whichever process asks first, and read by every other."""

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from sfumato.db.database import Database
from sfumato.db.tables import SecretRow
from sfumato.domain.clock import Clock


def shared_secret(db: Database, clock: Clock, name: str, make: Callable[[], str]) -> str:
    """The secret called `name`, made with `make` if no process has made it yet."""
    with db.write() as session:
        values = {"name": name, "value": make(), "created_at": clock.now()}
        insert = pg_insert if db.url.get_backend_name() == "postgresql" else sqlite_insert
        session.execute(insert(SecretRow).values(values).on_conflict_do_nothing())
        value = session.scalar(select(SecretRow.value).where(SecretRow.name == name))
    assert value is not None
    return value
