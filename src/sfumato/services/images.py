"""Stored images of a key: listing, reading, deleting, publishing (API.md §7)."""

import logging
from dataclasses import dataclass
from datetime import timedelta

from PIL import UnidentifiedImageError
from sqlalchemy import ColumnElement, Select, delete, select, update
from sqlalchemy.exc import IntegrityError

from sfumato.db.database import Database
from sfumato.db.tables import ApiKey, Image
from sfumato.domain.clock import Clock
from sfumato.domain.errors import InvalidParameter, MissingParameter, NotFound
from sfumato.domain.ids import new_id, new_public_token
from sfumato.engine.encode import transformed
from sfumato.services.pagination import Page, paginate
from sfumato.storage import Storage

log = logging.getLogger(__name__)


DEFAULT_QUALITY = 90


@dataclass(frozen=True)
class Transform:
    """POST /v1/images/{id}/transform: what to change; what is None stays as it is."""

    format: str | None = None
    width: int | None = None
    height: int | None = None
    quality: int | None = None

    def check(self, source_format: str) -> str:
        """The format to write; InvalidParameter when the change asks nothing or cannot apply."""
        if self.format is None and self.width is None and self.height is None and self.quality is None:
            raise MissingParameter("give at least one of format, width, height, quality", param="format")
        fmt = self.format or source_format
        if self.quality is not None and fmt == "png":
            raise InvalidParameter("quality applies to jpeg and webp; png is lossless", param="quality")
        return fmt


@dataclass(frozen=True)
class Delivery:
    """What a key-free URL answers: the bytes, or where to find them (a redirect)."""

    image: Image
    data: bytes | None = None
    location: str | None = None


class ImageService:
    def __init__(
        self,
        db: Database,
        storage: Storage,
        clock: Clock,
        *,
        retention_days: int = 30,
        delivery: str = "api",
        public_url: str = "",
        presign_seconds: int = 300,
    ) -> None:
        self.db = db
        self.storage = storage
        self.clock = clock
        self.retention = timedelta(days=retention_days)
        self.delivery = delivery
        self.public_url = public_url
        self.presign_seconds = presign_seconds

    def _visible(self, key: ApiKey) -> Select[Image]:
        """A key sees its own images until they expire (the sweeper deletes them later)."""
        return select(Image).where(Image.key_id == key.id, Image.expires_at > self.clock.now())

    def list_images(self, key: ApiKey, *, name: str | None, limit: int, after: str | None) -> Page[Image]:
        query = self._visible(key)
        if name is not None:
            query = query.where(Image.name == name)
        with self.db.read() as session:
            return paginate(session, query, Image, limit=limit, after=after)

    def get(self, key: ApiKey, image_id: str) -> Image:
        with self.db.read() as session:
            image = session.scalar(self._visible(key).where(Image.id == image_id))
        if image is None:
            raise NotFound(f"no image {image_id!r}")
        return image

    def content(self, key: ApiKey, image_id: str) -> tuple[Image, bytes]:
        return self._read(self.get(key, image_id))

    def public_content(self, token: str) -> Delivery:
        """A published image, by the token in its URL; no key needed."""
        return self._by_token(Image.public_token == token)

    def access_content(self, token: str) -> Delivery:
        """An image by its access token (the URL the hosted dialects hand out); no key, until it expires."""
        return self._by_token(Image.access_token == token)

    def _by_token(self, match: ColumnElement[bool]) -> Delivery:
        now = self.clock.now()
        with self.db.read() as session:
            image = session.scalar(select(Image).where(match, Image.expires_at > now))
        if image is None:
            raise NotFound("no such image")
        if self.delivery == "public":
            return Delivery(image, location=f"{self.public_url}/{image.storage_key}")
        if self.delivery == "presigned":
            # never past the image's own end: a presigned URL cannot be taken back
            left = int((image.expires_at - now).total_seconds())
            location = self.storage.url(image.storage_key, seconds=max(1, min(self.presign_seconds, left)))
            if location is not None:
                return Delivery(image, location=location)
        return Delivery(*self._read(image))

    def _read(self, image: Image) -> tuple[Image, bytes]:
        try:
            return image, self.storage.get(image.storage_key)
        except FileNotFoundError:  # deleted between the lookup and the read
            raise NotFound(f"no image {image.id!r}") from None

    def delete(self, key: ApiKey, image_id: str) -> None:
        image = self.get(key, image_id)
        with self.db.write() as session:
            result = session.execute(delete(Image).where(Image.id == image.id, Image.key_id == key.id))
            if not result.rowcount:  # type: ignore[attr-defined]
                raise NotFound(f"no image {image_id!r}")
        # The row goes first: a crash between the two leaves an unreferenced file, never a row
        # whose content is missing.
        self.storage.delete(image.storage_key)

    def publish(self, key: ApiKey, image_id: str) -> Image:
        """Give the image a public, unguessable URL; publishing twice keeps the same one."""
        with self.db.write() as session:
            session.execute(
                update(Image)
                .where(Image.id == image_id, Image.key_id == key.id, Image.public_token.is_(None))
                .values(public_token=new_public_token())
            )
        return self.get(key, image_id)  # NotFound if it is not this key's, or has expired

    def unpublish(self, key: ApiKey, image_id: str) -> Image:
        """Clear the URL: the old address stops working, and a later publish gets a new one."""
        with self.db.write() as session:
            session.execute(
                update(Image).where(Image.id == image_id, Image.key_id == key.id).values(public_token=None)
            )
        return self.get(key, image_id)

    def transform(self, key: ApiKey, image_id: str, change: Transform) -> Image:
        """A new image from this one, converted, resized or recompressed; the original stays. It keeps
        the original's name, prompt, seed and job, and has its own URLs and retention."""
        source = self.get(key, image_id)
        fmt = change.check(source.format)
        _, data = self._read(source)
        parameters = {
            "prompt": source.prompt,
            "negative_prompt": source.negative_prompt,
            "style": source.style,
            "seed": source.seed,
            "model": source.model,
            "transformed_from": source.id,
        }
        try:
            output, width, height = transformed(
                data,
                fmt,
                width=change.width,
                height=change.height,
                quality=change.quality or DEFAULT_QUALITY,
                parameters=parameters,
            )
        except (UnidentifiedImageError, OSError) as error:
            log.error("image %s: stored file unreadable: %s", source.id, error)
            raise NotFound(f"no image {image_id!r}") from None
        image_id_new = new_id("image")
        folder = source.job_id or "transforms"
        storage_key = f"{folder}/{image_id_new}.{fmt}"
        self.storage.put(storage_key, output)  # the file first; the row, or nothing, after it
        now = self.clock.now()
        image = Image(
            id=image_id_new,
            key_id=key.id,
            job_id=source.job_id,
            job_index=None,  # not one of the job's n generated images
            name=source.name,
            width=width,
            height=height,
            format=fmt,
            size=len(output),
            storage_key=storage_key,
            prompt=source.prompt,
            negative_prompt=source.negative_prompt,
            seed=source.seed,
            model=source.model,
            style=source.style,
            created_at=now,
            expires_at=now + self.retention,
            access_token=new_public_token(),
        )
        try:
            with self.db.write() as session:
                session.add(image)
        except IntegrityError:  # its job was deleted meanwhile
            self.storage.delete(storage_key)
            raise NotFound(f"no image {image_id!r}") from None
        return image
