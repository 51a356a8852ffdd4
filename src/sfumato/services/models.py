"""The models a process knows and serves, from its settings (docs/models.md): the catalogue (the built-ins,
the operator's file and SFUMATO_CATALOGUE entries, and each served local folder), the names this process
serves (the default first), and the memory their engines may hold."""

import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sfumato.config import Settings
from sfumato.domain.catalogue import Catalogue, entries_of, is_folder, model_name
from sfumato.domain.errors import ModelUnavailable
from sfumato.domain.residency import parse_bytes


def served_values(settings: Settings) -> list[str]:
    """Every served model as the operator named it (a catalogue name or a folder), the default first."""
    return [value for value in settings.models.split(",") if value]


def served_names(settings: Settings) -> list[str]:
    return [model_name(value) for value in served_values(settings)]


def catalogue_file(path: str) -> dict[str, Any]:
    """The `[models.NAME]` tables of a TOML catalogue file; ModelUnavailable when it cannot be read."""
    try:
        with Path(path).expanduser().open("rb") as file:
            data = tomllib.load(file)
    except OSError as error:
        raise ModelUnavailable(f"SFUMATO_CATALOGUE_FILE: cannot read {path}: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise ModelUnavailable(f"SFUMATO_CATALOGUE_FILE: {path} is not TOML: {error}") from None
    models = data.get("models", {})
    if not isinstance(models, dict):
        raise ModelUnavailable(f"SFUMATO_CATALOGUE_FILE: {path}: `models` must hold one table a model")
    return models


def catalogue_of(settings: Settings) -> Catalogue:
    """The built-ins, then the file's entries, then SFUMATO_CATALOGUE's, then the served folders; a later
    entry of the same name replaces an earlier one. ModelUnavailable, in one line, for a wrong entry."""
    catalogue = Catalogue()
    if settings.catalogue_file:
        entries = catalogue_file(settings.catalogue_file)
        catalogue = catalogue.plus(entries_of(entries, "SFUMATO_CATALOGUE_FILE"))
    catalogue = catalogue.plus(entries_of(settings.catalogue, "SFUMATO_CATALOGUE"))
    folders = [value for value in served_values(settings) if is_folder(value)]
    if folders:
        from sfumato.engine.catalogue import folder_spec

        catalogue = catalogue.plus(folder_spec(value) for value in folders)
    for name in served_names(settings):
        catalogue.spec(name)  # every served name is known
    return catalogue


def check_references(settings: Settings, catalogue: Catalogue) -> None:
    """Every model a setting names is in the catalogue: the plans' `models`, and SFUMATO_OPENAI_MODELS's
    targets. ModelUnavailable, in one line, naming the setting."""
    for plan, figures in settings.plans.items():
        for name in figures.models:
            if name not in catalogue:
                raise ModelUnavailable(f"SFUMATO_PLANS: the {plan} plan names {name!r}, not in the catalogue")
    for alias, name in settings.openai_models.items():
        if name not in catalogue:
            raise ModelUnavailable(f"SFUMATO_OPENAI_MODELS: {alias!r} maps to {name!r}, not in the catalogue")


def model_memory(settings: Settings) -> Callable[[], int]:
    """The bytes the worker's models may hold: SFUMATO_MODEL_MEMORY, else the device's memory (asked when
    first needed: a GPU is only looked at by the process that runs the models)."""
    given = parse_bytes(settings.model_memory)

    def budget() -> int:
        if given is not None:
            return given
        from sfumato.engine.device import device_memory

        return device_memory(settings.device)

    return budget
