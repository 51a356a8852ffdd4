"""Images in (docs/api.md §11): a request's input picture and mask, read and checked before anything is
stored, then stored beside the job they make, so a worker on any machine reads the same bytes.

The pictures are stored upright, at the job's size, as PNG: `{job_id}/input.png` and `{job_id}/mask.png`
(domain.images.storage_key); with content credentials on, the input as it was sent also becomes its images'
C2PA parent ingredient, `{job_id}/ingredient.c2pa` (its manifest, if any, and its hash; not its pixels). They
go with their job: deleting it, or its last image, deletes them, and the sweeper's retention of jobs applies.
"""

import re
from dataclasses import dataclass, replace

from PIL.Image import Image

from sfumato.db.images import ImageStore
from sfumato.domain.clock import Clock
from sfumato.domain.errors import InvalidParameter, NotFound
from sfumato.domain.images import Image as StoredImage
from sfumato.domain.images import storage_key
from sfumato.domain.inputs import DEFAULT_STRENGTH, INGREDIENT_NAME, INPUT_NAME, MASK_NAME, InputSummary
from sfumato.domain.keys import ApiKey
from sfumato.domain.params import JobParams
from sfumato.imaging.inputs import InputLimits, decode, fitted, from_text, has_alpha, load_png, mask_of, png
from sfumato.services.credentials import ContentCredentials
from sfumato.storage import Storage

_IMAGE_ID = re.compile(r"^image_[0-9a-f]{24}$")


@dataclass(frozen=True)
class Inputs:
    """A request's pictures, read and checked: what its job is made from."""

    picture: Image  # RGB, upright, as sent
    mask: Image | None  # L, the picture's size: 255 repaint, 0 keep
    summary: InputSummary
    sent: bytes | None = None  # the picture's file as it came: its images' parent ingredient


def inputs_of(
    picture: Image,
    mask: Image | None,
    *,
    source: StoredImage | None = None,
    alpha_mask: bool = False,
    ignored: int = 0,
    sent: bytes | None = None,
) -> Inputs:
    """Pictures as decoded (imaging.inputs.decode) checked together: a mask must be the picture's size.
    With `alpha_mask` (OpenAI's edits), a picture with transparent pixels is its own mask when none comes,
    and a masked region is drawn anew (strength 1) unless the request says otherwise."""
    mask_picture = None
    if mask is not None:
        if mask.size != picture.size:
            raise InvalidParameter(
                f"mask is {mask.width}x{mask.height}; it must be the image's size, "
                f"{picture.width}x{picture.height}",
                param="mask",
            )
        mask_picture = mask_of(mask)
    elif alpha_mask and has_alpha(picture):
        candidate = mask_of(picture)
        mask_picture = candidate if candidate.getbbox() is not None else None  # some pixel is transparent
    summary = InputSummary(
        width=picture.width,
        height=picture.height,
        has_mask=mask_picture is not None,
        source_image_id=source.id if source else None,
        source_name=source.name if source else None,
        ignored=ignored,
        strength=1.0 if alpha_mask and mask_picture is not None else DEFAULT_STRENGTH,
    )
    return Inputs(picture.convert("RGB"), mask_picture, summary, sent)


class InputService:
    def __init__(
        self,
        images: ImageStore,
        storage: Storage,
        clock: Clock,
        limits: InputLimits,
        credentials: ContentCredentials | None = None,
    ) -> None:
        self.images = images
        self.storage = storage
        self.clock = clock
        self.limits = limits
        self.credentials = credentials

    def read(
        self, key: ApiKey, image: str, mask: str | None = None, *, alpha_mask: bool = False, ignored: int = 0
    ) -> Inputs:
        """The pictures a request names (an image id of this key, base64 or a data: URL). With
        `alpha_mask` and no mask, a picture with transparent pixels is its own mask (OpenAI's edits)."""
        data, source = self._file(key, image, "image")
        picture = decode(data, field="image", limits=self.limits)
        given = None
        if mask is not None:
            given = decode(self._file(key, mask, "mask")[0], field="mask", limits=self.limits)
        return inputs_of(picture, given, source=source, alpha_mask=alpha_mask, ignored=ignored, sent=data)

    def _file(self, key: ApiKey, value: str, field: str) -> tuple[bytes, StoredImage | None]:
        if _IMAGE_ID.match(value):
            found = self.images.get(key.id, value, self.clock.now())
            if found is None:
                raise NotFound(f"no image {value!r}", param=field)
            try:
                data = self.storage.get(found.storage_key)
            except FileNotFoundError:  # deleted between the lookup and the read
                raise NotFound(f"no image {value!r}", param=field) from None
            return data, found
        return from_text(value, field=field, limits=self.limits), None

    def store(self, job_id: str, params: JobParams, inputs: Inputs) -> JobParams:
        """Store the pictures at the job's size beside it; the params that say where."""
        input_key = storage_key(job_id, INPUT_NAME, "png")
        self.storage.put(input_key, png(fitted(inputs.picture, params.width, params.height)))
        mask_key = None
        if inputs.mask is not None:
            mask_key = storage_key(job_id, MASK_NAME, "png")
            self.storage.put(mask_key, png(fitted(inputs.mask, params.width, params.height, mask=True)))
        ingredient_key, archive = None, None
        if self.credentials is not None and inputs.sent is not None:
            archive = self.credentials.ingredient(inputs.sent, params.source_image_id or "upload")
        if archive is not None:
            ingredient_key = storage_key(job_id, INGREDIENT_NAME, "c2pa")
            self.storage.put(ingredient_key, archive)
        return replace(params, input_key=input_key, mask_key=mask_key, ingredient_key=ingredient_key)

    def discard(self, job_id: str) -> None:
        """A job that was not made after all (refused, or a twin won): its pictures go."""
        discard_pictures(self.storage, job_id)


def discard_pictures(storage: Storage, job_id: str) -> None:
    """Delete a job's input pictures, if it has any."""
    for name in (INPUT_NAME, MASK_NAME):
        storage.delete(storage_key(job_id, name, "png"))
    storage.delete(storage_key(job_id, INGREDIENT_NAME, "c2pa"))


def stored_pictures(storage: Storage, params: JobParams) -> tuple[Image | None, Image | None]:
    """A job's stored pictures, for the worker: (input, mask), None where the job has none."""
    picture = load_png(storage.get(params.input_key)) if params.input_key else None
    mask = load_png(storage.get(params.mask_key)) if params.mask_key else None
    return picture, mask
