"""`sfumato models list` and `sfumato models save` (docs/models.md)."""

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from sfumato.cli.common import app, fail, settings_from, setup_logging
from sfumato.config import Settings
from sfumato.domain.catalogue import Catalogue

models_app = typer.Typer(no_args_is_help=True, help="The model catalogue: list it, save a model as a folder.")
app.add_typer(models_app, name="models")


@models_app.command("list")
def list_models(
    as_json: Annotated[bool, typer.Option("--json", help="one JSON array on one line")] = False,
) -> None:
    """The catalogue: each model's family, whether its weights are here, its licence, and what is served."""
    from sfumato.engine.catalogue import weights_here
    from sfumato.services.models import served_names
    from sfumato.services.startup import engine_options

    settings = settings_from()
    catalogue = _catalogue(settings)
    served = served_names(settings)
    sources = engine_options(settings).weights
    rows: list[dict[str, Any]] = []
    for spec in catalogue.values():
        rows.append(
            {
                "name": spec.name,
                "family": spec.family,
                "weights": weights_here(spec, sources),
                "source": spec.source,
                "license": spec.license,
                "open_license": spec.open_license,
                "default_steps": spec.default_steps,
                "min_steps": spec.min_steps,
                "max_steps": spec.max_steps,
                "guidance": spec.guidance,
                "default_guidance_scale": spec.default_guidance_scale,
                "size": spec.native_size,
                "served": spec.name in served,
                "default": spec.name == settings.model,
                "description": spec.description,
            }
        )
    if as_json:
        typer.echo(json.dumps(rows))
        return
    for row in rows:
        licence = row["license"] if row["open_license"] else f"{row['license']} (not an open licence)"
        mark = "*" if row["default"] else "+" if row["served"] else " "
        typer.echo(f"{mark} {row['name']:<22} {row['family']:<5} {row['weights']:<14} {licence}")
    typer.echo("(* the default, + also served here)", err=True)


@models_app.command("save")
def save_model(
    name: Annotated[str, typer.Argument(help="a model from `sfumato models list`")],
    folder: Annotated[Path, typer.Argument(help="where to write it: a new or empty folder")],
) -> None:
    """Write a servable model (the tiny ones too) as a diffusers folder; `--model FOLDER` serves it."""
    from sfumato.domain.errors import SfumatoError
    from sfumato.engine.catalogue import save
    from sfumato.engine.registry import check_available, load_engine
    from sfumato.services.startup import engine_options

    settings = settings_from()
    setup_logging()
    spec = _catalogue(settings).get(name) or fail(f"unknown model {name!r}; see `sfumato models list`")
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        fail(f"{folder} is not an empty folder")
    options = engine_options(settings)
    try:
        check_available(spec, options)
        save(load_engine(spec, options), folder)
    except SfumatoError as error:
        fail(error.message)
    except OSError as error:
        fail(f"cannot write {folder}: {error.strerror}")
    typer.echo(str(folder))


def _catalogue(settings: Settings) -> Catalogue:
    from sfumato.domain.errors import SfumatoError
    from sfumato.services.models import catalogue_of

    try:
        return catalogue_of(settings)
    except SfumatoError as error:
        fail(error.message)
