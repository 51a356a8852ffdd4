"""Text that can be stored: UTF-8 encodable (no lone UTF-16 surrogates, which JSON's `\\ud800` escape can
carry) and free of NUL characters (PostgreSQL's text holds none). Refused before anything is stored."""

from collections.abc import Iterator
from typing import Any

from sfumato.domain.errors import InvalidParameter


def fault(text: str) -> str | None:
    """Why text cannot be stored, or None."""
    if "\x00" in text:
        return "contains a NUL character"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid Unicode (a lone UTF-16 surrogate)"
    return None


def _strings(value: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for name, item in value.items():
            yield from _strings(name, path)  # a key is text too
            yield from _strings(item, (*path, str(name)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*path, str(index)))


def check(value: Any, where: str = "the request body") -> None:
    """InvalidParameter naming the first field (dotted path) whose text cannot be stored."""
    for path, text in _strings(value, ()):
        if (reason := fault(text)) is not None:
            field = ".".join(path) or None
            raise InvalidParameter(f"{field or where} {reason}", param=field)
