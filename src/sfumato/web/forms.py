"""Numbers typed into the dashboard's forms, read by one rule: ASCII digits only (a browser's number field
sends nothing else). `str.isdigit()` is true of `²` and `①`, which `int()` refuses, and `int()` takes `٣`;
neither is a number a form sends. A field that is not one is InvalidParameter naming it: a form error, 400."""

import re

from sfumato.domain.errors import InvalidParameter

_WHOLE = re.compile(r"[0-9]{1,10}")  # [0-9], not \d: \d matches every script's digits
_DECIMAL = re.compile(r"-?[0-9]{1,10}(\.[0-9]{1,10})?")


def whole_number(fields: dict[str, str], name: str, low: int, high: int) -> int | None:
    """The field as a whole number from `low` to `high`; None when it was left blank."""
    text = fields.get(name, "").strip()
    if not text:
        return None
    if not _WHOLE.fullmatch(text) or not low <= int(text) <= high:
        raise InvalidParameter(f"{name} must be a whole number from {low} to {high}", param=name)
    return int(text)


def decimal(fields: dict[str, str], name: str) -> float | None:
    """The field as a number such as 1.5 (its range is the caller's to check); None when left blank."""
    text = fields.get(name, "").strip()
    if not text:
        return None
    if not _DECIMAL.fullmatch(text):
        raise InvalidParameter(f"{name} must be a number such as 1.5", param=name)
    return float(text)
