"""What a JSON body may carry, on every route (docs/api.md §4): nesting of at most MAX_DEPTH levels, numbers
that are finite, and text that can be stored (domain.text). Refused, naming the field, before any route reads
the body, so that nothing is made, stored or charged for it, and nothing kept can break a later answer.

Python's `json` reads `NaN`, `Infinity` and `1e400` (as infinity), which JSON has not: no dialect can use
them, and an answer that echoes one cannot be written. Nesting is bounded below what every later step
(validation, storage, the answer's encoding) recurses through."""

import json
import math
import re
import sys
from typing import Any

from sfumato.domain import text
from sfumato.domain.errors import InvalidParameter

MAX_DEPTH = 32  # levels of objects and lists, the body's own included; clients' bodies use under 8
# What may be a number no float holds, where a value starts (after `:`, `[` or `,`): a constant, a three-digit
# exponent, or 309 digits. Never inside base64, which has none of those three: an image's body is not read.
_UNBOUNDED = re.compile(
    rb"[:\[,][ \t\r\n]*(?:NaN|-?Infinity|-?[0-9]+(?:\.[0-9]+)?[eE][+-]?[0-9]{3}|-?[0-9]{309})"
)
_CONTAINER = re.compile(rb"[ \t\r\n]*[{\[]")  # a body that is an object or a list (a scalar is read)


class _NotFinite:
    """Where the body held a number that is not finite, until its field is named."""


_NOT_FINITE = _NotFinite()


def _number(literal: str) -> float | _NotFinite:
    value = float(literal)
    return value if math.isfinite(value) else _NOT_FINITE


def suspect(body: bytes) -> bool:
    """Whether a body may break a rule here: only such a body is read (the route reads it anyway). A `\\u`
    escape is the one way unstorable text comes in JSON."""
    return (
        b"\\u" in body
        or body.count(b"[") + body.count(b"{") > MAX_DEPTH
        or _UNBOUNDED.search(body) is not None
        or _CONTAINER.match(body) is None
    )


def check(body: bytes) -> None:
    """InvalidParameter naming the first field past the rules; a body that is not JSON is left to the route,
    which says so in its own words."""
    try:
        value = json.loads(body, parse_constant=lambda _: _NOT_FINITE, parse_float=_number)
    except RecursionError:
        raise _too_deep(None) from None
    except json.JSONDecodeError:
        return
    except ValueError:  # JSON, but an integer past the digits Python converts (sys.get_int_max_str_digits)
        raise InvalidParameter(
            f"the request body holds an integer of more than {sys.get_int_max_str_digits()} digits"
        ) from None
    _check_depth(value)
    _check_numbers(value, ())
    text.check(value)


def _too_deep(field: str | None) -> InvalidParameter:
    return InvalidParameter(
        f"{field or 'the request body'} is nested deeper than {MAX_DEPTH} levels", param=field
    )


def _children(container: dict[str, Any] | list[Any]) -> list[Any]:
    return list(container.values()) if isinstance(container, dict) else list(container)


def _check_depth(value: Any) -> None:
    """Level by level, without recursion: the body is level 1; a field under it names what went too deep."""
    if not isinstance(value, dict | list):
        return
    fields: list[tuple[str | None, Any]] = (
        [(str(name), item) for name, item in value.items()]
        if isinstance(value, dict)
        else [(None, item) for item in value]
    )
    depth = 1
    while fields:
        fields = [(field, item) for field, item in fields if isinstance(item, dict | list)]
        if fields:
            depth += 1
            if depth > MAX_DEPTH:
                raise _too_deep(fields[0][0])
        fields = [(field, child) for field, item in fields for child in _children(item)]


def _check_numbers(value: Any, path: tuple[str, ...]) -> None:
    if value is _NOT_FINITE:
        field = ".".join(path) or None
        raise InvalidParameter(f"{field or 'the request body'} must be a finite number", param=field)
    if isinstance(value, dict):
        for name, item in value.items():
            _check_numbers(item, (*path, str(name)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_numbers(item, (*path, str(index)))
