"""The command line's shared parts: the typer apps, settings from flags, and failing in one line."""

import logging
import os
from typing import Annotated, NoReturn

import typer
from pydantic import ValidationError

from sfumato.config import Settings

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
    typer.Option("--model", help="a name from `sfumato models list`, or a local diffusers folder"),
]
ModelsOption = Annotated[
    list[str] | None,
    typer.Option(
        "--model",
        help="a name from `sfumato models list`, or a local diffusers folder; several times to serve "
        "several (the first is the default)",
    ),
]


def model_flags(models: list[str] | None) -> dict[str, str | None]:
    """`--model` given once or several times, as settings: the first is the default."""
    if not models:
        return {"model": None, "models": None}
    return {"model": models[0], "models": ",".join(models)}


def fail(message: str) -> NoReturn:
    typer.echo(f"sfumato: {message}", err=True)
    raise typer.Exit(1)


def settings_from(**flags: object) -> Settings:
    """Flags first, then SFUMATO_* variables, then defaults."""
    try:
        return Settings(**{name: value for name, value in flags.items() if value is not None})  # type: ignore[arg-type]
    except ValidationError as error:
        problem = error.errors()[0]
        field = ".".join(str(part) for part in problem["loc"]) or "settings"
        variable = f"SFUMATO_{str(problem['loc'][0]).upper()}" if problem["loc"] else "SFUMATO_*"
        fail(f"invalid setting {field} ({variable}): {problem['msg']}")


def database_of(settings: Settings) -> str:
    """The database a command works in, as it may be shown: without its password."""
    from sfumato.db.database import shown_url

    return shown_url(settings.database_url)


def setup_logging() -> None:
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")  # torchvision notices, weight warnings
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)


def preflight(settings: Settings, *, runs_model: bool) -> None:
    """Every start-up check of the container's (services.startup), each failure one line."""
    from sfumato.services import startup

    try:
        warnings = startup.preflight(settings, runs_model=runs_model)
    except startup.StartupError as error:
        fail(str(error))
    for warning in warnings:
        typer.echo(f"sfumato: warning: {warning}", err=True)
