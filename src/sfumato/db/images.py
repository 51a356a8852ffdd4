"""The images table: one method per query, records out (domain.images.Image).

A key sees its own images until they expire: every lookup for a client asks `expires_at > now`, so an
expired image is gone at once, by its key, its published URL and its access URL, before the sweeper
deletes it.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, delete, func, select, update
from sqlalchemy.orm import Session

from sfumato.db import usage
from sfumato.db.database import Database, WriteConflict
from sfumato.db.pagination import paginate, past
from sfumato.db.records import columns, record
from sfumato.db.tables import ImageRow
from sfumato.domain.images import Image
from sfumato.domain.pages import Page


def image_of(row: Any) -> Image:
    """An image from its row (the ORM's or a Core statement's: the same column names)."""
    return record(Image, row)


def row_of(image: Image) -> ImageRow:
    return ImageRow(**columns(image))


# Inside another module's transaction: the queue's, and the jobs aggregate's reads.


def add_all(session: Session, images: Sequence[Image]) -> None:
    session.add_all([row_of(image) for image in images])


def count_landed(session: Session, job_id: str, image_ids: Sequence[str]) -> int:
    """How many of these images of this job have rows: a commit whose answer was lost may have landed."""
    return (
        session.scalar(select(func.count()).where(ImageRow.id.in_(image_ids), ImageRow.job_id == job_id)) or 0
    )


def delete_of_job(session: Session, job_id: str) -> None:
    session.execute(delete(ImageRow).where(ImageRow.job_id == job_id))


def generated_of(session: Session, job_ids: Sequence[str], now: datetime) -> dict[str, list[Image]]:
    """The jobs' own n images that still exist (not transforms of them), in order."""
    found: dict[str, list[Image]] = {}
    if job_ids:
        query = (
            select(ImageRow)
            .where(ImageRow.job_id.in_(job_ids), ImageRow.job_index.is_not(None), ImageRow.expires_at > now)
            .order_by(ImageRow.job_id, ImageRow.job_index)
        )
        for row in session.scalars(query):
            found.setdefault(row.job_id or "", []).append(image_of(row))
    return found


class ImageStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    @staticmethod
    def _visible(key_id: str, now: datetime) -> Select[ImageRow]:
        return select(ImageRow).where(ImageRow.key_id == key_id, ImageRow.expires_at > now)

    def page(
        self, key_id: str, now: datetime, *, name: str | None, limit: int, after: str | None
    ) -> Page[Image]:
        query = self._visible(key_id, now)
        if name is not None:
            query = query.where(ImageRow.name == name)
        with self.db.read() as session:
            return paginate(session, query, ImageRow, image_of, limit=limit, after=after)

    def get(self, key_id: str, image_id: str, now: datetime) -> Image | None:
        with self.db.read() as session:
            row = session.scalar(self._visible(key_id, now).where(ImageRow.id == image_id))
            return image_of(row) if row is not None else None

    def by_public_token(self, token: str, now: datetime) -> Image | None:
        return self._by(ImageRow.public_token == token, now)

    def by_access_token(self, token: str, now: datetime) -> Image | None:
        return self._by(ImageRow.access_token == token, now)

    def _by(self, match: ColumnElement[bool], now: datetime) -> Image | None:
        with self.db.read() as session:
            row = session.scalar(select(ImageRow).where(match, ImageRow.expires_at > now))
            return image_of(row) if row is not None else None

    def insert(self, image: Image) -> bool:
        """Store the row; False when its job was deleted meanwhile (nothing is stored)."""
        try:
            with self.db.write() as session:
                session.add(row_of(image))
        except WriteConflict:
            return False
        return True

    def insert_charged(self, image: Image, month: str, quota: int | None) -> bool | None:
        """Store the row and count it against its key's month, together: True; False when that would
        pass `quota` (nothing stored or counted); None when its job was deleted meanwhile."""
        try:
            with self.db.write() as session:
                if not usage.charge(session, image.key_id, month, 1, quota):
                    return False
                session.add(row_of(image))
        except WriteConflict:
            return None
        return True

    def used(self, key_id: str, month: str) -> int:
        with self.db.read() as session:
            return usage.used(session, key_id, month)

    def delete(self, key_id: str, image_id: str) -> bool:
        with self.db.write() as session:
            result = session.execute(
                delete(ImageRow).where(ImageRow.id == image_id, ImageRow.key_id == key_id)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    def job_has_images(self, job_id: str) -> bool:
        with self.db.read() as session:
            return session.scalar(select(ImageRow.id).where(ImageRow.job_id == job_id).limit(1)) is not None

    def publish(self, key_id: str, image_id: str, token: str) -> None:
        """Give the image this public token, unless it has one: publishing twice keeps the first."""
        with self.db.write() as session:
            session.execute(
                update(ImageRow)
                .where(ImageRow.id == image_id, ImageRow.key_id == key_id, ImageRow.public_token.is_(None))
                .values(public_token=token)
            )

    def unpublish(self, key_id: str, image_id: str) -> None:
        with self.db.write() as session:
            session.execute(
                update(ImageRow)
                .where(ImageRow.id == image_id, ImageRow.key_id == key_id)
                .values(public_token=None)
            )

    def made_since(self, moment: datetime) -> int:
        """Images made since `moment`, by every key."""
        with self.db.read() as session:
            return session.scalar(select(func.count()).where(ImageRow.created_at >= moment)) or 0

    # Retention.

    def expired(
        self, now: datetime, limit: int, after: tuple[datetime, str] | None = None
    ) -> list[tuple[str, str, datetime]]:
        """Up to `limit` expired images in the order they expired, from just `after` an (expires_at, id):
        (id, storage key, expires_at). A sweep's step reads on from the last one's last image, so that it
        walks the index from there, not again over the entries of the rows it deleted (PostgreSQL keeps
        them until a vacuum)."""
        query = select(ImageRow.id, ImageRow.storage_key, ImageRow.expires_at).where(
            ImageRow.expires_at <= now
        )
        if after is not None:
            query = query.where(past(ImageRow.expires_at, ImageRow.id, after))
        with self.db.read() as session:
            rows = session.execute(query.order_by(ImageRow.expires_at, ImageRow.id).limit(limit)).all()
            return [(row.id, row.storage_key, row.expires_at) for row in rows]

    def delete_expired(self, image_ids: Sequence[str], now: datetime) -> int:
        """Delete these images if they are still expired; how many this call deleted."""
        with self.db.write() as session:
            result = session.execute(
                delete(ImageRow).where(ImageRow.id.in_(image_ids), ImageRow.expires_at <= now)
            )
            return int(result.rowcount)  # type: ignore[attr-defined]
