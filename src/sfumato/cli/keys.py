"""`sfumato keys …`, `sfumato db upgrade` and `sfumato db pool-query`."""

import json
from typing import TYPE_CHECKING, Annotated

import typer

from sfumato.cli.common import database_of, db_app, fail, keys_app, settings_from
from sfumato.domain.errors import SfumatoError
from sfumato.domain.plans import OPERATOR_PLAN
from sfumato.domain.rules import MAX_COUNT

if TYPE_CHECKING:
    from sfumato.services.keys import KeyService


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Option("--name", help="who or what the key is for")],
    plan: Annotated[
        str | None,
        typer.Option(help="starter, professional, enterprise or operator (--admin's default)"),
    ] = None,
    admin: Annotated[
        bool, typer.Option("--admin", help="the operator's key: manages keys, on the operator plan")
    ] = False,
    rpm: Annotated[
        int | None,
        typer.Option("--rpm", min=1, max=MAX_COUNT, help="override the plan's requests a minute"),
    ] = None,
    monthly_images: Annotated[
        int | None, typer.Option("--monthly-images", min=0, max=MAX_COUNT, help="override the plan's quota")
    ] = None,
    max_queued: Annotated[
        int | None,
        typer.Option("--max-queued", min=1, max=MAX_COUNT, help="override the plan's jobs queued at once"),
    ] = None,
    max_priority: Annotated[
        str | None,
        typer.Option("--max-priority", help="override the plan's highest priority: low, normal, high"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help='one line: {"id","key","name","plan"}')] = False,
) -> None:
    """Create a key; it is printed once and cannot be shown again."""
    keys, database = _keys()
    try:
        plan = plan or (OPERATOR_PLAN if admin else None)  # the operator's own key, made here
        key, raw = keys.create(
            name,
            plan=plan,
            admin=admin,
            rpm=rpm,
            monthly_images=monthly_images,
            max_queued=max_queued,
            max_priority=max_priority,
        )
    except SfumatoError as error:
        fail(error.message)
    if as_json:
        typer.echo(json.dumps({"id": key.id, "key": raw, "name": key.name, "plan": key.plan}))
        typer.echo(f"sfumato: key {key.id} made in the database {database}", err=True)
        return
    typer.echo(f"{raw}\n")
    typer.echo(
        f"id {key.id}, name {key.name!r}, plan {key.plan}{', admin' if key.is_admin else ''}, "
        f"in the database {database}",
        err=True,
    )
    typer.echo("This key is shown once: store it now. Send it as `Authorization: Bearer KEY`.", err=True)


@keys_app.command("list")
def keys_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Every key, revoked ones too; never the keys themselves."""
    from rich.console import Console
    from rich.table import Table

    from sfumato.http.objects import iso_z

    keys, database = _keys()
    rows = [
        {
            "id": key.id,
            "name": key.name,
            "prefix": key.prefix,
            "plan": key.plan,
            "admin": key.is_admin,
            "rpm": key.rpm,
            "monthly_images": key.monthly_images,
            "max_queued": key.max_queued,
            "max_priority": key.max_priority,
            "created_at": iso_z(key.created_at),
            "revoked_at": iso_z(key.revoked_at) if key.revoked_at else None,
        }
        for key in keys.list_keys()
    ]
    typer.echo(f"sfumato: keys of the database {database}", err=True)
    if as_json:
        typer.echo(json.dumps(rows))
        return
    table = Table("id", "name", "key", "plan", "admin", "created", "revoked")
    for row in rows:
        table.add_row(
            str(row["id"]),
            str(row["name"]),
            f"{row['prefix']}…",
            str(row["plan"]),
            "yes" if row["admin"] else "",
            str(row["created_at"]),
            str(row["revoked_at"] or ""),
        )
    Console().print(table)


@keys_app.command("revoke")
def keys_revoke(
    key_id: Annotated[str, typer.Argument(help="the key's id (key_…), as `keys list` shows")],
) -> None:
    """Revoke a key: it is refused from the next request on."""
    keys, database = _keys()
    try:
        key = keys.revoke(key_id)
    except SfumatoError as error:
        fail(error.message)
    typer.echo(f"revoked {key.id} ({key.name}) in the database {database}")


def _keys() -> tuple["KeyService", str]:
    """The keys, and the database they are in as it may be shown (docs/cli.md: every command says it)."""
    from sfumato.roots.commands import build_command_root
    from sfumato.services.startup import StartupError

    settings = settings_from()
    try:
        root = build_command_root(settings)
    except StartupError as error:
        fail(str(error))
    return root.keys, database_of(settings)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the migrations (serve and worker also do this on start)."""
    from sfumato.services.startup import StartupError, open_database

    settings = settings_from()
    try:
        open_database(settings).dispose()
    except StartupError as error:
        fail(str(error))
    typer.echo(f"the database {database_of(settings)} is up to date")  # a Job's log is read widely


@db_app.command("pool-query")
def db_pool_query(
    models: Annotated[list[str], typer.Argument(help="the models the pool's workers serve")],
) -> None:
    """Print the SQL that counts a worker pool's queued and processing jobs: the query of the pool's KEDA
    ScaledObject (deploy/README.md)."""
    from sfumato.db.pools import pool_query

    try:
        typer.echo(pool_query(models))
    except ValueError as error:
        fail(str(error))
