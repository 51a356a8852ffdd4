"""Cursor pagination, newest first (docs/api.md, "Lists"): the cursor is the last item's (created_at, id)."""

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from sfumato.domain.errors import InvalidParameter

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    has_more: bool
    next_cursor: str | None


def encode_cursor(created_at: datetime, item_id: str) -> str:
    return base64.urlsafe_b64encode(f"{created_at.isoformat()}|{item_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, item_id = raw.split("|", 1)
        created_at = datetime.fromisoformat(stamp)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidParameter("after is not a cursor this server gave out", param="after") from None
    if created_at.tzinfo is None:
        raise InvalidParameter("after is not a cursor this server gave out", param="after")
    return created_at, item_id
