"""`sfumato generate`: one image, locally, no server."""

import logging
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from sfumato.cli.common import ModelOption, app, fail, settings_from, setup_logging
from sfumato.domain.errors import SfumatoError


@app.command()
def generate(
    prompt: Annotated[str, typer.Argument(help="what to draw")],
    output: Annotated[Path | None, typer.Option("-o", "--output", help=".png, .jpg or .webp")] = None,
    seed: Annotated[int | None, typer.Option(help="random when absent")] = None,
    width: Annotated[int | None, typer.Option(help="1024, or the --image's size rounded")] = None,
    height: Annotated[int | None, typer.Option(help="1024, or the --image's size rounded")] = None,
    steps: Annotated[int | None, typer.Option(help="the model's default when absent")] = None,
    style: Annotated[str | None, typer.Option(help="a preset, as GET /v1/styles lists")] = None,
    negative_prompt: Annotated[str | None, typer.Option("--negative-prompt")] = None,
    image: Annotated[Path | None, typer.Option(help="image-to-image: a PNG, JPEG or WebP to redraw")] = None,
    mask: Annotated[
        Path | None, typer.Option(help="with --image: white (or transparent) is repainted")
    ] = None,
    strength: Annotated[
        float | None, typer.Option(help="with --image: 0 to 1, how much is redrawn (0.6)")
    ] = None,
    model: ModelOption = None,
) -> None:
    """Make one image locally, no server, with a progress bar on stderr; with --image, from that image."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from sfumato.domain.clock import SystemClock
    from sfumato.domain.generation import GenerationRequest
    from sfumato.domain.ids import random_seed
    from sfumato.domain.rules import plain_message
    from sfumato.engine.base import Rendered, RenderJob
    from sfumato.engine.registry import load_engine
    from sfumato.imaging.formats import encode_image, file_parameters
    from sfumato.imaging.inputs import InputLimits, decode, fitted
    from sfumato.services.inputs import inputs_of
    from sfumato.services.models import catalogue_of
    from sfumato.services.startup import StartupError, check_model, checked_credentials, engine_options

    settings = settings_from(model=model)
    setup_logging()
    logging.getLogger().setLevel(logging.WARNING)
    suffix = output.suffix.lower().lstrip(".") if output else "png"
    fmt = {"jpg": "jpeg"}.get(suffix, suffix)
    try:
        sizes = {"width": width, "height": height, "image": str(image) if image else None}
        request = GenerationRequest(
            prompt=prompt,
            negative_prompt=negative_prompt,
            seed=seed,
            steps=steps,
            style=style,
            format=fmt,  # type: ignore[arg-type]
            mask=str(mask) if mask else None,
            strength=strength,
            **{name: value for name, value in sizes.items() if value is not None},  # type: ignore[arg-type]
        )
        inputs = None
        if image is not None:
            limits = InputLimits(settings.max_input_bytes, settings.max_input_pixels)
            given = decode(_read(mask), field="--mask", limits=limits) if mask else None
            inputs = inputs_of(decode(_read(image), field="--image", limits=limits), given)
        spec = catalogue_of(settings).spec(settings.model)
        params = request.resolve(spec, random_seed(), inputs.summary if inputs else None)
    except ValidationError as error:
        fail(plain_message(str(error.errors()[0]["msg"])))
    except SfumatoError as error:
        fail(error.message)
    try:
        warning = check_model(settings, runs_it=True)
        credentials = checked_credentials(settings)
    except StartupError as error:
        fail(str(error))
    if warning:
        typer.echo(f"sfumato: warning: {warning}", err=True)
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
        engine = load_engine(spec, engine_options(settings))
        progress.remove_task(loading)
        task = progress.add_task("generating", total=None)
        source = fitted(inputs.picture, params.width, params.height) if inputs else None
        hole = fitted(inputs.mask, params.width, params.height, mask=True) if inputs and inputs.mask else None
        render = RenderJob.for_params(params, source, hole)  # n is 1: one image, of params.seed
        (outcome,) = engine.render(
            [render], on_step=lambda done, total: progress.update(task, completed=done, total=total)
        )
    if not isinstance(outcome, Rendered):
        fail(f"generation failed: {outcome!r}")
    made = outcome.images[0]
    for warning in params.notes() + outcome.warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}", highlight=False, soft_wrap=True)
    data = encode_image(
        made,
        params.format,
        quality=params.quality,
        parameters=file_parameters(params, params.seed),
        compress_level=settings.png_compress_level,
    )
    parent = credentials.ingredient(_read(image), image.name) if image is not None else None
    data = credentials.sign_generated(
        data, params.format, title=output.name, params=params, when=SystemClock().now(), archive=parent
    )
    output.write_bytes(data)
    typer.echo(str(output))
    typer.echo(f"seed {params.seed}, {params.width}x{params.height}, {params.steps} steps", err=True)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        fail(f"cannot read {path}: {error.strerror}")
