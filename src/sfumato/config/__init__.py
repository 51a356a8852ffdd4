"""Settings: flags, then SFUMATO_* environment variables, then these defaults.

Each field's description is its documentation: docs/settings.md is generated from them
(`python -m sfumato.docgen`), and a test checks the two agree. The fields are grouped by meaning, a module
each (places, serving, limits, queue, http, models, engine, credentials); `Settings` is all of them, with the
rules that tie fields of several groups together.
"""

from typing import Self

from pydantic import model_validator

from sfumato.config.credentials import CredentialSettings
from sfumato.config.engine import EngineSettings
from sfumato.config.http import HttpSettings
from sfumato.config.limits import LimitSettings
from sfumato.config.models import ModelSettings
from sfumato.config.places import PlaceSettings
from sfumato.config.queue import QueueSettings
from sfumato.config.serving import ServingSettings
from sfumato.storage import BACKENDS, StorageError, backend_of


class Settings(
    CredentialSettings,
    EngineSettings,
    ModelSettings,
    HttpSettings,
    QueueSettings,
    LimitSettings,
    ServingSettings,
    PlaceSettings,
):
    """Every setting (the groups' fields, in docs/settings.md's order from the last group named here)."""

    @model_validator(mode="after")
    def _fill_paths(self) -> Self:
        self.data_dir = self.data_dir.expanduser().resolve()
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / 'sfumato.db'}"
        if not self.storage_url:
            self.storage_url = (self.data_dir / "images").as_uri()
        self.public_base_url = self.public_base_url.rstrip("/")
        self.storage_public_url = self.storage_public_url.rstrip("/")
        if self.image_delivery == "presigned" and not _presigns(self.storage_url):
            schemes = " or ".join(f"{name}://" for name, backend in BACKENDS.items() if backend.presigns)
            raise ValueError(f"image_delivery=presigned needs {schemes} storage (SFUMATO_STORAGE_URL)")
        if self.image_delivery == "public" and not self.storage_public_url:
            raise ValueError("image_delivery=public needs SFUMATO_STORAGE_PUBLIC_URL")
        if self.default_plan not in self.plans:
            raise ValueError(f"default_plan must be one of {', '.join(self.plans)}")
        return self

    def storage_options(self) -> dict[str, str]:
        """What the storage backend is opened with: the SFUMATO_S3_* settings without their prefix."""
        return {name.removeprefix("s3_"): str(value) for name, value in self if name.startswith("s3_")}


def _presigns(url: str) -> bool:
    try:
        return backend_of(url).presigns
    except StorageError:
        return False  # an unknown scheme is refused where the storage is opened, with its own words


__all__ = ["Settings"]
