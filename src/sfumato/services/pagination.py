"""Cursor pagination, newest first (API.md §7): the cursor is the last item's (created_at, id)."""

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, and_, or_
from sqlalchemy.orm import Session

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


def paginate(session: Session, query: Select[Any], model: Any, *, limit: int, after: str | None) -> Page[Any]:
    """`query` selects `model` rows already filtered to one owner; this orders, cuts and pages them."""
    if after:
        created_at, item_id = decode_cursor(after)
        query = query.where(
            or_(model.created_at < created_at, and_(model.created_at == created_at, model.id < item_id))
        )
    rows = list(session.scalars(query.order_by(model.created_at.desc(), model.id.desc()).limit(limit + 1)))
    has_more = len(rows) > limit
    rows = rows[:limit]
    cursor = encode_cursor(rows[-1].created_at, rows[-1].id) if has_more and rows else None
    return Page(rows, has_more, cursor)
