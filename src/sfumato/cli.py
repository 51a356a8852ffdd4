"""The command line (API.md §1). Every expected failure is one line on stderr, never a traceback."""

import json
import logging
import os
import signal
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from pydantic import ValidationError

from sfumato.config import Settings
from sfumato.domain.errors import SfumatoError

if TYPE_CHECKING:
    from sfumato.services.keys import KeyService

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="Sfumato: self-hosted image generation.",
)
keys_app = typer.Typer(no_args_is_help=True, help="API keys: create, list, revoke.")
db_app = typer.Typer(no_args_is_help=True, help="The database.")
app.add_typer(keys_app, name="keys")
app.add_typer(db_app, name="db")

ModelOption = Annotated[
    str | None,
    typer.Option(
        "--model",
        help="sdxl-lightning (default), sdxl-lightning-2step, sdxl-lightning-8step, tiny, sdxl-random",
    ),
]


def _fail(message: str) -> NoReturn:
    typer.echo(f"sfumato: {message}", err=True)
    raise typer.Exit(1)


def _settings(**flags: object) -> Settings:
    """Flags first, then SFUMATO_* variables, then defaults."""
    try:
        return Settings(**{name: value for name, value in flags.items() if value is not None})  # type: ignore[arg-type]
    except ValidationError as error:
        problem = error.errors()[0]
        field = ".".join(str(part) for part in problem["loc"]) or "settings"
        variable = f"SFUMATO_{str(problem['loc'][0]).upper()}" if problem["loc"] else "SFUMATO_*"
        _fail(f"invalid setting {field} ({variable}): {problem['msg']}")


def _logging() -> None:
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")  # torchvision notices, weight warnings
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)


def _preflight(settings: Settings) -> None:
    """Fail before serving if the model cannot run here: one line with the fix."""
    from sfumato.engine.registry import check_available, device_warning

    try:
        check_available(settings.model, settings)
    except SfumatoError as error:
        _fail(error.message)
    if warning := device_warning(settings):
        typer.echo(f"sfumato: warning: {warning}", err=True)


def _check_policy(settings: Settings) -> None:
    """A content policy file that cannot be read, or a bad pattern, stops the start in one line."""
    from sfumato.services.container import content_policy

    try:
        content_policy(settings)
    except ValueError as error:
        _fail(str(error))


def _migrate(settings: Settings) -> None:
    from sqlalchemy import make_url

    from sfumato.db.database import Database
    from sfumato.db.migrate import upgrade

    try:
        db = Database(settings.database_url)
        upgrade(db)
        db.dispose()
    except Exception as error:
        shown = make_url(settings.database_url).render_as_string(hide_password=True)
        _fail(f"cannot prepare the database {shown}: {type(error).__name__}: {error}")


def _check_storage(settings: Settings) -> None:
    """A bucket that is missing, or out of reach with these credentials, stops the start in one line."""
    from sfumato.services.container import storage_of
    from sfumato.storage import StorageError

    try:
        storage_of(settings).check()
    except StorageError as error:
        _fail(f"cannot use the storage {settings.storage_url}: {error}")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="address to listen on (default 127.0.0.1)")] = None,
    port: Annotated[int | None, typer.Option(help="port to listen on (default 8000)")] = None,
    model: ModelOption = None,
    no_worker: Annotated[
        bool, typer.Option("--no-worker", help="API only; `sfumato worker` generates")
    ] = False,
) -> None:
    """Run the API server, with a worker in the same process unless --no-worker."""
    import uvicorn

    from sfumato.api.app import create_app
    from sfumato.engine.registry import spec_for

    settings = _settings(host=host, port=port, model=model)
    _logging()
    if no_worker:
        try:
            spec_for(settings.model)
        except SfumatoError as error:
            _fail(error.message)
    else:
        _preflight(settings)
    _check_policy(settings)
    _migrate(settings)
    _check_storage(settings)
    typer.echo(
        f"sfumato: serving {settings.model} on http://{settings.host}:{settings.port} "
        f"(data in {settings.data_dir}; make a key with `sfumato keys create --name me`)",
        err=True,
    )
    uvicorn.run(create_app(settings, with_worker=not no_worker), host=settings.host, port=settings.port)


@app.command()
def worker(model: ModelOption = None) -> None:
    """Run a worker only: it claims jobs from the shared database until SIGTERM or Ctrl-C."""
    from sfumato.services.container import build_services

    settings = _settings(model=model)
    _logging()
    _preflight(settings)
    _check_policy(settings)
    _migrate(settings)
    _check_storage(settings)
    services = build_services(settings, with_worker=True)
    assert services.worker is not None
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    if settings.metrics_port is not None:
        from prometheus_client import start_http_server

        start_http_server(settings.metrics_port, addr=settings.host, registry=services.metrics.registry)
    services.start()
    typer.echo(f"sfumato: worker {services.worker.name} on {settings.model}; Ctrl-C to stop", err=True)
    while not stop.wait(0.5):
        if services.worker.error:
            services.close()
            _fail(services.worker.error)
    services.close()


@app.command()
def generate(
    prompt: Annotated[str, typer.Argument(help="what to draw")],
    output: Annotated[Path | None, typer.Option("-o", "--output", help=".png, .jpg or .webp")] = None,
    seed: Annotated[int | None, typer.Option(help="random when absent")] = None,
    width: Annotated[int, typer.Option()] = 1024,
    height: Annotated[int, typer.Option()] = 1024,
    steps: Annotated[int | None, typer.Option(help="the model's default when absent")] = None,
    style: Annotated[str | None, typer.Option(help="a preset, as GET /v1/styles lists")] = None,
    negative_prompt: Annotated[str | None, typer.Option("--negative-prompt")] = None,
    model: ModelOption = None,
) -> None:
    """Make one image locally, no server, with a progress bar on stderr."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from sfumato.domain.generation import GenerationRequest
    from sfumato.domain.ids import random_seed
    from sfumato.engine.base import Rendered, RenderJob
    from sfumato.engine.encode import encode_image, file_parameters
    from sfumato.engine.registry import load_engine, spec_for

    settings = _settings(model=model)
    _logging()
    logging.getLogger().setLevel(logging.WARNING)
    suffix = output.suffix.lower().lstrip(".") if output else "png"
    fmt = {"jpg": "jpeg"}.get(suffix, suffix)
    try:
        request = GenerationRequest(
            prompt=prompt,
            negative_prompt=negative_prompt,
            seed=seed,
            width=width,
            height=height,
            steps=steps,
            style=style,
            format=fmt,  # type: ignore[arg-type]
        )
        params = request.resolve(spec_for(settings.model), random_seed())
    except ValidationError as error:
        _fail(str(error.errors()[0]["msg"]).removeprefix("Value error, "))
    except SfumatoError as error:
        _fail(error.message)
    _preflight(settings)
    output = output or Path(f"sfumato-{params.seed}.png")
    console = Console(stderr=True)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        loading = progress.add_task(f"loading {settings.model}", total=None)
        engine = load_engine(settings.model, settings)
        progress.remove_task(loading)
        task = progress.add_task("generating", total=params.steps)
        render = RenderJob.for_params(params)  # n is 1: one image, of params.seed
        (outcome,) = engine.render(
            [render], on_step=lambda done, _total: progress.update(task, completed=done)
        )
    if not isinstance(outcome, Rendered):
        _fail(f"generation failed: {outcome!r}")
    image = outcome.images[0]
    for warning in params.notes() + outcome.warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}", highlight=False, soft_wrap=True)
    data = encode_image(
        image, params.format, quality=params.quality, parameters=file_parameters(params, params.seed)
    )
    output.write_bytes(data)
    typer.echo(str(output))
    typer.echo(f"seed {params.seed}, {params.width}x{params.height}, {params.steps} steps", err=True)


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Option("--name", help="who or what the key is for")],
    plan: Annotated[str | None, typer.Option(help="starter, professional or enterprise")] = None,
    admin: Annotated[bool, typer.Option("--admin", help="may manage keys over HTTP")] = False,
    rpm: Annotated[int | None, typer.Option("--rpm", help="override the plan's requests a minute")] = None,
    monthly_images: Annotated[
        int | None, typer.Option("--monthly-images", help="override the plan's quota")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help='one line: {"id","key","name","plan"}')] = False,
) -> None:
    """Create a key; it is printed once and cannot be shown again."""
    keys = _keys()
    try:
        key, raw = keys.create(name, plan=plan, admin=admin, rpm=rpm, monthly_images=monthly_images)
    except SfumatoError as error:
        _fail(error.message)
    if as_json:
        typer.echo(json.dumps({"id": key.id, "key": raw, "name": key.name, "plan": key.plan}))
        return
    typer.echo(f"{raw}\n")
    typer.echo(
        f"id {key.id}, name {key.name!r}, plan {key.plan}{', admin' if key.is_admin else ''}", err=True
    )
    typer.echo("This key is shown once: store it now. Send it as `Authorization: Bearer KEY`.", err=True)


@keys_app.command("list")
def keys_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Every key, revoked ones too; never the keys themselves."""
    from rich.console import Console
    from rich.table import Table

    from sfumato.api.schemas import iso_z

    rows = [
        {
            "id": key.id,
            "name": key.name,
            "prefix": key.prefix,
            "plan": key.plan,
            "admin": key.is_admin,
            "rpm": key.rpm,
            "monthly_images": key.monthly_images,
            "created_at": iso_z(key.created_at),
            "revoked_at": iso_z(key.revoked_at) if key.revoked_at else None,
        }
        for key in _keys().list_keys()
    ]
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
    try:
        key = _keys().revoke(key_id)
    except SfumatoError as error:
        _fail(error.message)
    typer.echo(f"revoked {key.id} ({key.name})")


def _keys() -> "KeyService":
    from sfumato.db.database import Database
    from sfumato.domain.clock import SystemClock
    from sfumato.services.keys import KeyService

    settings = _settings()
    _migrate(settings)
    return KeyService(
        Database(settings.database_url),
        SystemClock(),
        plans=settings.plans,
        default_plan=settings.default_plan,
    )


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the migrations (serve and worker also do this on start)."""
    settings = _settings()
    _migrate(settings)
    typer.echo(f"database at {settings.database_url} is up to date")


def main() -> None:
    app()
