"""A stored image as the rest of the code sees it, and where its file lives."""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sfumato.domain.ids import new_id, new_public_token

TRANSFORMS_FOLDER = "transforms"  # transforms of images whose job is gone


def storage_key(job_id: str | None, name: str, fmt: str) -> str:
    """Where an image's file lives: under its job's folder, so deleting the job deletes it too."""
    return f"{job_id or TRANSFORMS_FOLDER}/{name}.{fmt}"


@dataclass(frozen=True)
class Image:
    id: str
    key_id: str
    job_id: str | None
    job_index: int | None  # i of the job's n generated images (seed + i); None for a transform
    name: str
    width: int
    height: int
    format: str
    size: int  # bytes
    storage_key: str
    prompt: str
    negative_prompt: str | None
    seed: int
    model: str
    style: str | None
    created_at: datetime
    expires_at: datetime
    public_token: str | None = None  # set while published: the /p/ URL
    access_token: str | None = None  # the key-free /i/ URL of the hosted dialects, until it expires
    source_image_id: str | None = None  # the key's image it was made from (images in), if any

    @classmethod
    def create(
        cls,
        *,
        key_id: str,
        job_id: str | None,
        job_index: int | None,
        name: str,
        file: "StoredFile",
        prompt: str,
        negative_prompt: str | None,
        seed: int,
        model: str,
        style: str | None,
        now: datetime,
        retention: timedelta,
        image_id: str | None = None,
        source_image_id: str | None = None,
    ) -> "Image":
        """A new image: its own id, access token and retention; unpublished."""
        return cls(
            id=image_id or new_id("image"),
            key_id=key_id,
            job_id=job_id,
            job_index=job_index,
            name=name,
            width=file.width,
            height=file.height,
            format=file.format,
            size=file.size,
            storage_key=file.storage_key,
            prompt=prompt,
            negative_prompt=negative_prompt,
            seed=seed,
            model=model,
            style=style,
            created_at=now,
            expires_at=now + retention,
            access_token=new_public_token(),
            source_image_id=source_image_id,
        )

    def derive(self, image_id: str, file: "StoredFile", *, now: datetime, retention: timedelta) -> "Image":
        """A new image made from this one (a transform): the same name, prompt, seed and job, its own
        id, file, URLs and retention; not one of the job's n generated images; made from this one."""
        return replace(
            self,
            id=image_id,
            source_image_id=self.id,
            job_index=None,
            width=file.width,
            height=file.height,
            format=file.format,
            size=file.size,
            storage_key=file.storage_key,
            created_at=now,
            expires_at=now + retention,
            public_token=None,
            access_token=new_public_token(),
        )


@dataclass(frozen=True)
class StoredFile:
    """An image file written to storage: what its row records of it."""

    storage_key: str
    format: str
    width: int
    height: int
    size: int
