"""Keys on AUTOMATIC1111's routes: the usual headers, or HTTP Basic with the key as the password (what
`--api-auth` clients send). No key at all, or SillyTavern's `Basic` of nothing or of "undefined", is refused
(401) unless the operator names a key such requests act as (SFUMATO_A1111_ANONYMOUS_KEY)."""

import base64
import binascii
from typing import Annotated

from fastapi import Depends, Request

from sfumato.api.deps import ServicesDep, authenticate, in_thread, keep_rate_headers
from sfumato.domain.errors import AuthenticationFailed, NotFound
from sfumato.domain.keys import ApiKey
from sfumato.domain.plans import Window
from sfumato.services.container import Services

NOT_A_KEY = {"", "undefined", "null"}


def presented_key(request: Request) -> str | None:
    """The key a request carries: x-api-key, Bearer, api-key, or the password of HTTP Basic."""
    headers = request.headers
    if key := headers.get("x-api-key") or headers.get("api-key"):
        return key
    scheme, _, credentials = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(credentials.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        password = decoded.partition(":")[2] if ":" in decoded else decoded
        return None if password.strip() in NOT_A_KEY else password.strip()
    return None


def _anonymous(services: Services) -> ApiKey:
    key_id = services.settings.a1111_anonymous_key
    if key_id:
        try:
            key = services.keys.get(key_id)
        except NotFound:
            key = None
        if key is not None and not key.revoked:
            return key
    raise AuthenticationFailed(
        "no API key: send it as the password of HTTP Basic, as `x-api-key: KEY`, or as "
        "`Authorization: Bearer KEY`"
    )


def _key(services: Services, request: Request) -> ApiKey:
    raw = presented_key(request)
    if raw is None:
        return _anonymous(services)
    return authenticate(services, raw, request.client.host if request.client else "unknown")


async def reading_key(request: Request, services: ServicesDep) -> ApiKey:
    def authorize() -> ApiKey:
        key = _key(services, request)
        services.limits.hit_read(key.id, services.limits_of(key))
        return key

    return await in_thread(authorize)


async def generating_key(request: Request, services: ServicesDep) -> ApiKey:
    def authorize() -> tuple[ApiKey, Window | None]:
        key = _key(services, request)
        return key, services.limits.hit_generation(key.id, services.limits_of(key))

    key, window = await in_thread(authorize)
    keep_rate_headers(request, window)
    return key


ReadingKey = Annotated[ApiKey, Depends(reading_key)]
GeneratingKey = Annotated[ApiKey, Depends(generating_key)]
