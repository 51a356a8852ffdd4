"""The model families the engine runs, one module each behind one protocol (families/base.py). A new family
is a module here, its line below, and its description in domain/families.py (docs/models.md, "Adding a
family"). Modules are imported when a model of theirs is built: naming models stays cheap."""

import importlib
import json
from pathlib import Path
from typing import TYPE_CHECKING

from sfumato.domain.errors import ModelUnavailable

if TYPE_CHECKING:
    from sfumato.engine.families.base import Family

# One line per family: its name (domain.families) and its module.
MODULES = {
    "sdxl": "sfumato.engine.families.sdxl",
    "flux": "sfumato.engine.families.flux",
    "sd3": "sfumato.engine.families.sd3",
}


def family(name: str) -> "Family":
    try:
        module = MODULES[name]
    except KeyError:
        raise ModelUnavailable(f"unknown model family {name!r}; known: {', '.join(MODULES)}") from None
    found: Family = importlib.import_module(module).FAMILY
    return found


def family_of_folder(folder: Path) -> "Family":
    """The family whose pipeline class a diffusers folder's model_index.json names."""
    index = folder / "model_index.json"
    try:
        class_name = json.loads(index.read_text())["_class_name"]
    except (OSError, ValueError, KeyError):
        raise ModelUnavailable(f"{folder} is not a diffusers folder (no readable model_index.json)") from None
    for name in MODULES:
        if class_name in family(name).classes:
            return family(name)
    raise ModelUnavailable(
        f"{folder} holds a {class_name}, which no family here runs (known: "
        f"{', '.join(sorted(c for name in MODULES for c in family(name).classes))})"
    )
