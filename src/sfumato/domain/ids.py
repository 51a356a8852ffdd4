"""Identifiers and secrets: random, prefixed, URL-safe."""

import base64
import secrets


def new_id(prefix: str) -> str:
    """An object id such as `job_3f9c…`: 96 random bits, hex."""
    return f"{prefix}_{secrets.token_hex(12)}"


def new_api_key() -> str:
    """A new API key: 256 random bits. Only its hash is stored."""
    return f"sfm_{secrets.token_urlsafe(32)}"


def new_webhook_secret() -> str:
    """A key's webhook signing secret: `whsec_` and 24 random bytes in base64 (Standard Webhooks)."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def new_public_token() -> str:
    """The unguessable part of a published image's URL: 192 random bits."""
    return secrets.token_urlsafe(24)


def random_seed() -> int:
    return secrets.randbelow(2**31)
