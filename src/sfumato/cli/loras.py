"""`sfumato loras add`, `list` and `delete` (docs/models.md, "LoRA adapters"): the operator's adapters, shared
with every key, or one key's."""

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sfumato.cli.common import app, database_of, fail, settings_from
from sfumato.domain.errors import SfumatoError
from sfumato.domain.loras import Lora

if TYPE_CHECKING:
    from sfumato.roots.commands import CommandRoot

loras_app = typer.Typer(no_args_is_help=True, help="LoRA adapters: add, list, delete.")
app.add_typer(loras_app, name="loras")


@loras_app.command("add")
def loras_add(
    file: Annotated[Path, typer.Argument(help="a .safetensors LoRA (diffusers/PEFT or kohya keys)")],
    name: Annotated[str, typer.Option("--name", help='how requests name it: `loras: [{"name": …}]`')],
    shared: Annotated[bool, typer.Option("--shared", help="every key may use it")] = False,
    key: Annotated[
        str | None, typer.Option("--key", help="a key's id: that key's own, as if it uploaded it")
    ] = None,
    family: Annotated[
        str | None, typer.Option("--family", help="sdxl, flux or sd3, where its tensors fit several")
    ] = None,
    trigger_words: Annotated[str, typer.Option("--trigger-words", help="comma-separated")] = "",
    as_json: Annotated[bool, typer.Option("--json", help="the LoRA as GET /v1/loras/{id} shows it")] = False,
) -> None:
    """Check a LoRA file (safetensors only, its tensors against the family's modules) and store it."""
    if shared == (key is not None):
        fail("give --shared (every key's) or --key KEY_ID (one key's)")
    root = _root()
    assert root.loras is not None
    try:
        owner = root.keys.get(key) if key is not None else None
        with file.open("rb") as source:
            lora = root.loras.add(owner, name=name, source=source, trigger_words=trigger_words, family=family)
    except SfumatoError as error:
        fail(error.message)
    except OSError as error:
        fail(f"cannot read {file}: {error.strerror}")
    finally:
        root.close()
    where = f"in the database {database_of(root.settings)} and the store {root.settings.storage_url}"
    if as_json:
        typer.echo(json.dumps(_shown(lora)))
        typer.echo(f"sfumato: LoRA {lora.id} stored {where}", err=True)
        return
    whose = "shared with every key" if lora.shared else f"for key {lora.key_id}"
    typer.echo(f"{lora.id} {lora.name}: {lora.family}, rank {lora.rank}, {lora.size} bytes, {whose}")
    typer.echo(f"sfumato: stored {where}", err=True)


@loras_app.command("list")
def loras_list(
    key: Annotated[str | None, typer.Option("--key", help="a key's id: its own too")] = None,
) -> None:
    """The shared adapters (and one key's own), by name."""
    root = _root()
    assert root.loras is not None
    try:
        owner = root.keys.get(key) if key is not None else None
        for lora in root.loras.usable(owner):
            whose = "shared" if lora.shared else lora.key_id
            typer.echo(f"{lora.id} {lora.name:<24} {lora.family:<5} rank {lora.rank:<4} {whose}")
    except SfumatoError as error:
        fail(error.message)
    finally:
        root.close()


@loras_app.command("delete")
def loras_delete(lora_id: Annotated[str, typer.Argument(help="a shared LoRA's id")]) -> None:
    """Delete a shared adapter and its file."""
    root = _root()
    assert root.loras is not None
    try:
        lora = root.loras.delete(None, lora_id)
    except SfumatoError as error:
        fail(error.message)
    finally:
        root.close()
    typer.echo(f"deleted {lora.id} ({lora.name}) in the database {database_of(root.settings)}")


def _shown(lora: Lora) -> dict[str, object]:
    from sfumato.http.objects import LoraPublic

    return LoraPublic.of(lora).model_dump(mode="json")


def _root() -> "CommandRoot":
    from sfumato.roots.commands import build_command_root
    from sfumato.services.startup import StartupError

    try:
        return build_command_root(settings_from(), adapters=True)
    except StartupError as error:
        fail(str(error))
