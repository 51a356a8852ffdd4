"""One page of a key's rows, newest first, from a cursor (domain.pages)."""

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, and_, or_
from sqlalchemy.orm import Session

from sfumato.domain.pages import Page, decode_cursor, encode_cursor

R = TypeVar("R")


def paginate(
    session: Session,
    query: Select[Any],
    model: Any,
    record: Callable[[Any], R],
    *,
    limit: int,
    after: str | None,
) -> Page[R]:
    """`query` selects `model` rows already filtered to one owner; this orders, cuts and pages them,
    and hands each row up as `record(row)`."""
    if after:
        created_at, item_id = decode_cursor(after)
        # `created_at <= :c` lets the (owner, created_at, id) index seek to the cursor whatever the
        # statistics say; the second condition breaks the tie on id. Without the first, a deep page
        # reads every row above it (docs/architecture.md, "Cost as the data grows").
        query = query.where(
            model.created_at <= created_at,
            or_(model.created_at < created_at, and_(model.created_at == created_at, model.id < item_id)),
        )
    rows = list(session.scalars(query.order_by(model.created_at.desc(), model.id.desc()).limit(limit + 1)))
    has_more = len(rows) > limit
    rows = rows[:limit]
    cursor = encode_cursor(rows[-1].created_at, rows[-1].id) if has_more and rows else None
    return Page([record(row) for row in rows], has_more, cursor)


def past(moment: Any, row_id: Any, place: tuple[Any, str]) -> ColumnElement[bool]:
    """Rows after `place` (a moment and an id) in ascending (moment, id) order, in the form an index on the
    moment seeks to whatever the statistics say (as above): the sweeper's steps each read on from there."""
    at, after_id = place
    return and_(moment >= at, or_(moment > at, and_(moment == at, row_id > after_id)))
