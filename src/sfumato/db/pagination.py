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
        query = query.where(past(model.created_at, model.id, (created_at, item_id), newest_first=True))
    rows = list(session.scalars(query.order_by(model.created_at.desc(), model.id.desc()).limit(limit + 1)))
    has_more = len(rows) > limit
    rows = rows[:limit]
    cursor = encode_cursor(rows[-1].created_at, rows[-1].id) if has_more and rows else None
    return Page([record(row) for row in rows], has_more, cursor)


def past(
    moment: Any, row_id: Any, place: tuple[Any, str], *, newest_first: bool = False
) -> ColumnElement[bool]:
    """Rows past `place` (a moment and an id) in (moment, id) order, oldest first unless `newest_first`:
    the pages' cursor and the sweeper's steps. The bound on the moment alone lets an index on it seek to
    `place` whatever the statistics say; the rest breaks the tie on id."""
    at, place_id = place
    if newest_first:
        return and_(moment <= at, or_(moment < at, and_(moment == at, row_id < place_id)))
    return and_(moment >= at, or_(moment > at, and_(moment == at, row_id > place_id)))
