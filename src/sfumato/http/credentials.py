"""The one reader of a request's credentials, for every route of both edges (docs/api.md §3):
`x-api-key: KEY`, `Authorization: Bearer KEY`, Azure OpenAI's `api-key: KEY`, and where a route takes it
(AUTOMATIC1111's), HTTP Basic with the key as the password, which `--api-auth` clients send. SillyTavern's
Basic of nothing, of "undefined" or of "null" is no key at all. The dashboard's session is read from its
cookie (http/session.py) by the routes that take one."""

import base64
import binascii

from starlette.datastructures import Headers

NOT_A_KEY = {"", "undefined", "null"}


def presented_key(headers: Headers, *, basic: bool = False) -> str | None:
    """The key a request carries, or None."""
    if key := headers.get("x-api-key"):
        return key
    scheme, _, credentials = headers.get("authorization", "").partition(" ")
    scheme, credentials = scheme.lower(), credentials.strip()
    if scheme == "bearer" and credentials:
        return credentials
    if scheme == "basic" and basic:
        try:
            decoded = base64.b64decode(credentials, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        password = (decoded.partition(":")[2] if ":" in decoded else decoded).strip()
        return None if password in NOT_A_KEY else password
    return headers.get("api-key") or None
