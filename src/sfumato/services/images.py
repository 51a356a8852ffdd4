"""Stored images of a key: listing, reading, deleting, publishing, transforming (docs/api.md §7)."""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from PIL import UnidentifiedImageError

from sfumato.credentials.manifest import Change
from sfumato.db.images import ImageStore
from sfumato.domain.clock import Clock
from sfumato.domain.credentials import Verdict
from sfumato.domain.errors import InvalidParameter, MissingParameter, NotFound
from sfumato.domain.ids import new_id, new_public_token
from sfumato.domain.images import Image, StoredFile, storage_key
from sfumato.domain.keys import ApiKey
from sfumato.domain.pages import Page
from sfumato.domain.plans import Limits, month_of, quota_exceeded
from sfumato.imaging.transform import transformed
from sfumato.services.credentials import ContentCredentials
from sfumato.services.inputs import discard_pictures
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
        store: ImageStore,
        storage: Storage,
        clock: Clock,
        *,
        retention_days: int = 30,
        delivery: str = "api",
        public_url: str = "",
        presign_seconds: int = 300,
        limits_of: Callable[[ApiKey], Limits] | None = None,
        png_compress_level: int = 4,
        credentials: ContentCredentials,
    ) -> None:
        self.store = store
        self.storage = storage
        self.clock = clock
        self.retention = timedelta(days=retention_days)
        self.delivery = delivery
        self.public_url = public_url
        self.presign_seconds = presign_seconds
        self.limits_of = limits_of
        self.png_compress_level = png_compress_level
        self.credentials = credentials

    def list_images(self, key: ApiKey, *, name: str | None, limit: int, after: str | None) -> Page[Image]:
        return self.store.page(key.id, self.clock.now(), name=name, limit=limit, after=after)

    def get(self, key: ApiKey, image_id: str) -> Image:
        image = self.store.get(key.id, image_id, self.clock.now())
        if image is None:
            raise NotFound(f"no image {image_id!r}")
        return image

    def content(self, key: ApiKey, image_id: str) -> tuple[Image, bytes]:
        return self._read(self.get(key, image_id))

    def verify(self, key: ApiKey, image_id: str) -> Verdict:
        """What one of the key's images carries of content credentials (docs/credentials.md)."""
        _, data = self.content(key, image_id)
        return self.credentials.verify(data, field="image")

    def public_content(self, token: str) -> Delivery:
        """A published image, by the token in its URL; no key needed."""
        return self._deliver(self.store.by_public_token(token, self.clock.now()))

    def access_content(self, token: str) -> Delivery:
        """An image by its access token (the URL the hosted dialects hand out); no key, until it expires."""
        return self._deliver(self.store.by_access_token(token, self.clock.now()))

    def _deliver(self, image: Image | None) -> Delivery:
        if image is None:
            raise NotFound("no such image")
        if self.delivery == "public":
            return Delivery(image, location=f"{self.public_url}/{image.storage_key}")
        if self.delivery == "presigned":
            # never past the image's own end: a presigned URL cannot be taken back
            left = int((image.expires_at - self.clock.now()).total_seconds())
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
        if not self.store.delete(key.id, image.id):
            raise NotFound(f"no image {image_id!r}")
        # The row goes first: a crash between the two leaves an unreferenced file, never a row
        # whose content is missing.
        self.storage.delete(image.storage_key)
        if image.job_id and not self.store.job_has_images(image.job_id):
            discard_pictures(self.storage, image.job_id)  # the job's input pictures go with its last image

    def publish(self, key: ApiKey, image_id: str) -> Image:
        """Give the image a public, unguessable URL; publishing twice keeps the same one."""
        self.store.publish(key.id, image_id, new_public_token())
        return self.get(key, image_id)  # NotFound if it is not this key's, or has expired

    def unpublish(self, key: ApiKey, image_id: str) -> Image:
        """Clear the URL: the old address stops working, and a later publish gets a new one."""
        self.store.unpublish(key.id, image_id)
        return self.get(key, image_id)

    def transform(self, key: ApiKey, image_id: str, change: Transform) -> Image:
        """A new image from this one, converted, resized or recompressed; the original stays. It keeps
        the original's name, prompt, seed and job, and has its own URLs and retention. It is an image like
        any other: it counts against the key's month (QuotaExceeded, nothing made, when that is spent)."""
        quota = self.limits_of(key).monthly_images if self.limits_of is not None else None
        now = self.clock.now()
        if quota is not None and (used := self.store.used(key.id, month_of(now))) >= quota:
            raise quota_exceeded(quota, used, 1, now)  # before any work; the insert counts for certain
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
                compress_level=self.png_compress_level,
            )
        except (UnidentifiedImageError, OSError) as error:
            log.error("image %s: stored file unreadable: %s", source.id, error)
            raise NotFound(f"no image {image_id!r}") from None
        new = new_id("image")
        resized = (width, height) != (source.width, source.height)
        done = Change(when=now, converted=fmt != source.format, resized=resized)
        output = self.credentials.sign_transformed(
            output, fmt, title=new, change=done, source=(data, source.format, source.id)
        )
        file = StoredFile(storage_key(source.job_id, new, fmt), fmt, width, height, len(output))
        self.storage.put(file.storage_key, output)  # the file first; the row, or nothing, after it
        image = source.derive(new, file, now=self.clock.now(), retention=self.retention)
        stored = self.store.insert_charged(image, month_of(image.created_at), quota)
        if not stored:  # the quota was spent meanwhile, or its job was deleted
            self.storage.delete(file.storage_key)
            if stored is False:
                raise quota_exceeded(quota, self.store.used(key.id, month_of(now)), 1, now)
            raise NotFound(f"no image {image_id!r}")
        return image
