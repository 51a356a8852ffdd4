"""The one authenticating dependency, for every keyed route of both edges: it reads the credentials
(http/credentials.py; the dashboard's session where the route takes one), authenticates them, counting wrong
keys against their address, and counts the request against its key's minute by the kind of access
(services/access.py). A generation's `RateLimit-*` headers go on whatever answers it (http/headers.py).

    CurrentKey      reads: polls, lists, content (the plan's reads a minute)
    GenerationKey   makes images (the plan's generation requests a minute)
    WatchingKey     a read that also takes the dashboard's session (a browser's EventSource sends no headers)
    key_of(...)     others: AUTOMATIC1111's take HTTP Basic, and its anonymous key
"""

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request

from sfumato.domain.keys import ApiKey
from sfumato.domain.plans import Window
from sfumato.http.credentials import presented_key
from sfumato.http.errors import rate_limit_headers
from sfumato.http.headers import keep_rate_headers
from sfumato.http.threads import in_thread
from sfumato.services.access import Access, AccessService


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def key_of(
    access: Access, *, basic: bool = False, session: bool = False, anonymous: bool = False
) -> Callable[..., Awaitable[ApiKey]]:
    """A dependency answering the request's key, counted as `access`. `basic`: HTTP Basic's password is a
    key too; `session`: without key headers, the dashboard's session is; `anonymous`: with no key at all,
    the operator's anonymous key acts (AUTOMATIC1111's, when set), else 401."""

    # /openapi.json says which credentials a keyed route takes (api/openapi.py): no dependency per scheme
    # here, since each is one more call on every request, and presented_key reads every form.
    async def dependency(request: Request) -> ApiKey:
        service: AccessService = request.app.state.root.access
        raw = presented_key(request.headers, basic=basic)
        if raw is None and session and (found := await session_key(request)) is not None:
            return found
        if service.counts_in_memory and (known := service.remembered(raw)):
            # Found a moment ago, its counter in memory: no thread hop, which would cost more than both (a
            # client polling a job sends this many times a second; a submission makes its own hop later).
            key, window = known, service.count(known, access)
        else:

            def authorize() -> tuple[ApiKey, Window | None]:  # one hop: the key's row, then its counter
                if raw is None and anonymous:
                    key = service.anonymous()
                else:
                    key = service.authenticate(raw, _address(request))
                return key, service.count(key, access)

            key, window = await in_thread(authorize)
        if window is not None:
            keep_rate_headers(request.scope, rate_limit_headers(window))
        return key

    return dependency


async def session_key(request: Request, *, count: bool = True) -> ApiKey | None:
    """The key of the dashboard session a request carries while it lives; `count`: as a read."""
    service: AccessService = request.app.state.root.access
    found = request.app.state.root.sessions.read(request)
    if found is None or found.id is None or found.key_id is None:
        return None

    def live() -> ApiKey | None:
        key = service.session_key(found.id, found.key_id)
        if key is not None and count:
            service.count(key, Access.READ)
        return key

    return await in_thread(live)


CurrentKey = Annotated[ApiKey, Depends(key_of(Access.READ))]
GenerationKey = Annotated[ApiKey, Depends(key_of(Access.GENERATE))]
WatchingKey = Annotated[ApiKey, Depends(key_of(Access.READ, session=True))]
