"""Models on disk (docs/models.md): a local diffusers folder as a catalogue entry (its family read from
model_index.json, its defaults from the `sfumato.json` that `sfumato models save` writes beside the weights,
else from its family), whether a model's weights are here, and writing any servable model as a folder."""

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sfumato.domain.catalogue import Entry, checked_name, entry_fields, model_name
from sfumato.domain.errors import ModelUnavailable
from sfumato.domain.models import LIGHTNING, PRETRAINED, ModelSpec
from sfumato.engine.options import WeightSources

if TYPE_CHECKING:
    from sfumato.engine.pipeline import DiffusersEngine

SIDECAR = "sfumato.json"  # a saved model's catalogue fields, beside its model_index.json

# What `weights_here` answers.
IN_CODE, PRESENT, MISSING = "built in code", "present", "missing"


def folder_spec(value: str) -> ModelSpec:
    """The catalogue entry of a local diffusers folder, named by the folder's own name."""
    from sfumato.engine.families import family_of_folder

    folder = Path(value).expanduser()
    if not folder.is_dir():
        raise ModelUnavailable(f"model folder {value} does not exist")
    family = family_of_folder(folder)
    sidecar = folder / SIDECAR
    fields: dict[str, Any] = {"family": family.traits.name, "license": "unknown"}
    if sidecar.is_file():
        try:
            fields |= json.loads(sidecar.read_text())
        except (OSError, ValueError):
            raise ModelUnavailable(f"{sidecar} is not readable JSON") from None
    else:
        fields |= family.folder_fields(folder)
    try:
        entry = Entry.model_validate({**fields, "source": str(folder.resolve())})
    except ValueError as error:
        raise ModelUnavailable(f"{sidecar}: {error}".splitlines()[0]) from None
    return entry.spec(checked_name(model_name(value), f"the folder {value}"))


def weights_here(spec: ModelSpec, sources: WeightSources) -> str:
    """Whether the model can start without a download: IN_CODE, PRESENT or MISSING."""
    offline = WeightSources(sources.base_model, sources.lightning_repo, allow_download=False)
    try:
        if spec.weights == LIGHTNING:
            from sfumato.engine.lightning import locate_weights

            locate_weights(spec, offline)
        elif spec.weights == PRETRAINED:
            from sfumato.engine.families import family
            from sfumato.engine.hub import locate

            runs = family(spec.family)
            locate(spec, runs.hub_files, offline, runs.hub_skip)
        else:
            return IN_CODE
    except ModelUnavailable:
        return MISSING
    return PRESENT


def save(engine: "DiffusersEngine", folder: Path) -> None:
    """The engine's model as a diffusers folder that `--model FOLDER` serves with the same images for the
    same seed: its pipeline's `save_pretrained`, and its catalogue fields beside it."""
    folder.mkdir(parents=True, exist_ok=True)
    engine.pipe.save_pretrained(folder, safe_serialization=True)
    (folder / SIDECAR).write_text(json.dumps(entry_fields(engine.spec), indent=2) + "\n")
