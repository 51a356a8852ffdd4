"""Dependencies: the services, the calling key, the base URL, the `Prefer` header."""

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Annotated, ParamSpec, TypeVar

import anyio
from fastapi import Depends, Header, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from sfumato.api.errors import rate_limit_headers
from sfumato.api.prefer import Prefer, parse_prefer
from sfumato.domain.errors import AuthenticationFailed, InvalidParameter
from sfumato.domain.idempotency import MAX_KEY_LENGTH, Idempotency
from sfumato.domain.keys import ApiKey
from sfumato.domain.plans import Window
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

RATE_LIMIT_STATE = "sfumato.rate_limit"  # where the window's headers wait for the response (middleware)

_api_key_header = APIKeyHeader(name="x-api-key", auto_error=False)
_bearer = HTTPBearer(auto_error=False)


def authenticate(services: Services, raw: str | None, address: str) -> ApiKey:
    """The key of `raw`. A valid key is never refused for what others sent from its address (behind a
    proxy, every client may share one). Wrong keys are counted per client address (the real client's,
    from the forwarded headers of the proxies the operator lists); past the minute's allowance a wrong
    key from that address is answered 429, not 401, so guessing goes no faster than the allowance."""
    try:
        return services.keys.authenticate(raw)
    except AuthenticationFailed:
        if raw:  # a key was tried and was wrong: a guess
            services.limits.check_address(address)
            services.limits.failed_attempt(address)
        raise


def _raw_key(
    request: Request, api_key: str | None, bearer: HTTPAuthorizationCredentials | None
) -> str | None:
    """`x-api-key`, `Authorization: Bearer`, or Azure OpenAI's `api-key` (its clients send that)."""
    return api_key or (bearer.credentials if bearer else None) or request.headers.get("api-key") or None


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def keep_rate_headers(request: Request, window: Window | None) -> None:
    """The window's RateLimit-* headers go on the answer, whatever it is (api.middleware)."""
    if window is not None:
        request.scope.setdefault("state", {})[RATE_LIMIT_STATE] = rate_limit_headers(window)


async def current_key(
    request: Request,
    services: ServicesDep,
    api_key: Annotated[str | None, Security(_api_key_header)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
) -> ApiKey:
    """The key of a request that generates nothing: `x-api-key: KEY` or `Authorization: Bearer KEY`,
    counted against the key's read limit."""

    raw = _raw_key(request, api_key, bearer)
    key = services.keys.remembered(raw)
    if key is not None and not services.limits.remote:
        # The key read a moment ago and its counter in memory: no thread hop, which would cost more
        # than both (a client polling a job sends this many times a second).
        services.limits.hit_read(key.id, services.limits_of(key))
        return key

    def authorize() -> ApiKey:  # one thread hop: the key's row, then its counter (maybe in Redis)
        key = authenticate(services, raw, _address(request))
        services.limits.hit_read(key.id, services.limits_of(key))
        return key

    return await in_thread(authorize)


async def generation_key(
    request: Request,
    services: ServicesDep,
    api_key: Annotated[str | None, Security(_api_key_header)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
) -> ApiKey:
    """The key of a generation request, counted against its generation requests a minute (429 when
    spent); the answer, whatever it is, carries the window's RateLimit-* headers."""

    def authorize() -> tuple[ApiKey, Window | None]:
        key = authenticate(services, _raw_key(request, api_key, bearer), _address(request))
        return key, services.limits.hit_generation(key.id, services.limits_of(key))

    key, window = await in_thread(authorize)
    keep_rate_headers(request, window)
    return key


async def watching_key(
    request: Request,
    services: ServicesDep,
    api_key: Annotated[str | None, Security(_api_key_header)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
) -> ApiKey:
    """The key of a request that only reads: its key headers, or else the dashboard's session (a
    browser's EventSource sends the session cookie, never headers). The session is the dashboard's own,
    read by the hook it leaves on the app (web/install.py)."""
    session_key = getattr(request.app.state, "session_key", None)
    no_key = _raw_key(request, api_key, bearer) is None
    if no_key and session_key is not None and (key := await session_key(request)) is not None:
        return key
    return await current_key(request, services, api_key, bearer)


CurrentKey = Annotated[ApiKey, Depends(current_key)]
GenerationKey = Annotated[ApiKey, Depends(generation_key)]
WatchingKey = Annotated[ApiKey, Depends(watching_key)]


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
