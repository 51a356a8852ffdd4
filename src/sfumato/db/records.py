"""The one way every store turns rows into records and records into rows: by field name. A domain record's
fields are its table's columns of the same names (a row of the ORM's or of a Core statement alike); a field
stored in another form (a status as text, parameters as JSON) is named with its conversion."""

from dataclasses import fields
from typing import Any, TypeVar

R = TypeVar("R")


_NAMES: dict[type, tuple[str, ...]] = {}  # each record class's field names, read once


def _names(cls: type) -> tuple[str, ...]:
    names = _NAMES.get(cls)
    if names is None:
        names = _NAMES[cls] = tuple(field.name for field in fields(cls))
    return names


def record(cls: type[R], row: Any, **converted: Any) -> R:
    """A `cls` (a dataclass) from `row`: each field from the column of its name, unless `converted` has it."""
    values = {name: converted[name] if name in converted else getattr(row, name) for name in _names(cls)}
    return cls(**values)


def columns(record: Any, **converted: Any) -> dict[str, Any]:
    """A record's fields as a row's columns, with `converted` replacing or adding some."""
    return {name: getattr(record, name) for name in _names(type(record))} | converted
