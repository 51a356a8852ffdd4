"""The API's own dependencies: `Idempotency-Key` and `Prefer`. The services, the key and the base URL
come from the HTTP kernel (sfumato/http/deps.py, sfumato/http/access.py), which the dashboard shares."""

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Header, Request
from pydantic import BaseModel

from sfumato.api.prefer import Prefer, parse_prefer
from sfumato.domain.errors import InvalidParameter
from sfumato.domain.idempotency import MAX_KEY_LENGTH, Idempotency

Fingerprint = Callable[[BaseModel], Idempotency | None]


def idempotency(route: str) -> Callable[..., Awaitable[Fingerprint]]:
    """A dependency reading `Idempotency-Key`; it answers a function that fingerprints the request."""

    async def read(
        key: Annotated[
            str | None,
            Header(alias="Idempotency-Key", description="retries with this key create nothing more"),
        ] = None,
    ) -> Fingerprint:
        def of(request: BaseModel) -> Idempotency | None:
            if key is None:
                return None
            if not Idempotency.valid_key(key):
                raise InvalidParameter(
                    f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters", param="Idempotency-Key"
                )
            return Idempotency.of(key, route, request.model_dump(mode="json"))

        return of

    return read


async def prefer(request: Request) -> Prefer:
    return parse_prefer(request.headers.getlist("prefer"))


PreferDep = Annotated[Prefer, Depends(prefer)]
