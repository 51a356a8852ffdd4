"""API keys as the rest of the code sees them: a record, never the stored row, and never the key itself."""

import hashlib
from dataclasses import dataclass
from datetime import datetime

PREFIX_CHARS = 8  # the key's first characters, kept in clear so a person can recognise it


def hash_key(raw: str) -> str:
    # Keys carry 256 random bits, so a plain hash cannot be brute-forced; no slow KDF is needed.
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True)
class ApiKey:
    id: str
    name: str
    prefix: str
    plan: str
    is_admin: bool
    rpm: int | None  # overrides the plan's generation requests a minute
    monthly_images: int | None  # overrides the plan's images a month
    created_at: datetime
    revoked_at: datetime | None
    webhook_secret: str  # whsec_…: signs this key's webhooks
    max_queued: int | None = None  # overrides the plan's most jobs queued at once
    max_priority: str | None = None  # overrides the plan's highest priority: low, normal or high

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None
