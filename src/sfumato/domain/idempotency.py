"""Idempotency keys (docs/api.md §7): what makes two requests that create work "the same request"."""

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta

MAX_KEY_LENGTH = 255
KEPT_FOR = timedelta(hours=24)  # a key older than this is free again, as Stripe and OpenAI keep theirs


@dataclass(frozen=True)
class Idempotency:
    key: str
    fingerprint: str  # the route and the request, canonical: a retry must match it

    @classmethod
    def of(cls, key: str, route: str, request: dict[str, object]) -> "Idempotency":
        canonical = json.dumps([route, request], sort_keys=True, separators=(",", ":"), default=str)
        return cls(key, hashlib.sha256(canonical.encode()).hexdigest())

    @staticmethod
    def valid_key(key: str) -> bool:
        return bool(key.strip()) and len(key) <= MAX_KEY_LENGTH
