"""Dependencies: the services, the calling key, the base URL, the `Prefer` header."""

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Annotated, ParamSpec, TypeVar

import anyio
from fastapi import Depends, Header, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from sfumato.api.prefer import Prefer, parse_prefer
from sfumato.db.tables import ApiKey
from sfumato.domain.errors import AuthenticationFailed
from sfumato.domain.idempotency import Idempotency
from sfumato.services.container import Services

P = ParamSpec("P")
R = TypeVar("R")


async def in_thread(function: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """Run blocking work (the database, files) off the event loop."""
    return await anyio.to_thread.run_sync(partial(function, *args, **kwargs))


# Dependencies are async on purpose: FastAPI runs a plain `def` dependency in the thread pool, and a
# thread hop per trivial dependency costs more than the request's own work.


async def get_services(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]

_api_key_header = APIKeyHeader(name="x-api-key", auto_error=False)
_bearer = HTTPBearer(auto_error=False)


async def current_key(
    request: Request,
    services: ServicesDep,
    api_key: Annotated[str | None, Security(_api_key_header)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
) -> ApiKey:
    """The key of the request: `x-api-key: KEY` or `Authorization: Bearer KEY`.

    Wrong keys are counted per client address; past the minute's allowance that address is refused
    (429) before any key it sends is looked at."""
    raw = api_key or (bearer.credentials if bearer else None)
    address = request.client.host if request.client else "unknown"
    services.limits.check_address(address)  # in memory: no thread needed
    try:
        return await in_thread(services.keys.authenticate, raw)
    except AuthenticationFailed:
        if raw:  # a key was tried and was wrong: a guess
            services.limits.failed_attempt(address)
        raise


CurrentKey = Annotated[ApiKey, Depends(current_key)]


async def base_url(request: Request, services: ServicesDep) -> str:
    """Where clients reach this service, for the URLs it hands out."""
    return services.settings.public_base_url or str(request.base_url).rstrip("/")


BaseUrl = Annotated[str, Depends(base_url)]


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
            return None if key is None else Idempotency.of(key, route, request.model_dump(mode="json"))

        return of

    return read


RATE_LIMIT_STATE = "sfumato.rate_limit"  # where the window's headers wait for the response (middleware)


async def generation_limit(request: Request, key: CurrentKey, services: ServicesDep) -> None:
    """Count a generation request against its key's minute (429 when spent); the answer, whatever it
    is, carries the RateLimit-* headers (api.middleware.RateLimitHeaders)."""
    window = services.limits.hit_generation(key)  # in memory: microseconds, no thread needed
    request.scope.setdefault("state", {})[RATE_LIMIT_STATE] = window.headers()


GenerationLimit = Depends(generation_limit)


async def prefer(request: Request) -> Prefer:
    return parse_prefer(request.headers.getlist("prefer"))


PreferDep = Annotated[Prefer, Depends(prefer)]
