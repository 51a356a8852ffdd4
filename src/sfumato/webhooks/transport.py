"""The HTTP transport webhooks are sent through: it checks every address again as it connects."""

from collections.abc import Iterable
from functools import partial
from typing import Any

import anyio
import httpcore
import httpx

from sfumato.domain.errors import InvalidParameter
from sfumato.webhooks.guard import Resolver, allowed_addresses, system_resolver


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves the host itself, refuses addresses the guard refuses, and connects to one it allowed,
    so what was checked is what is reached. TLS still verifies the certificate against the host name."""

    def __init__(self, *, allow_private: bool, resolve: Resolver = system_resolver) -> None:
        self.allow_private = allow_private
        self.resolve = resolve
        self.inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's signature)
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        check = partial(allowed_addresses, host, port, allow_private=self.allow_private, resolve=self.resolve)
        try:
            addresses = await anyio.to_thread.run_sync(check)
        except InvalidParameter as refused:
            raise httpcore.ConnectError(f"refused: {refused.message}") from None
        return await self.inner.connect_tcp(str(addresses[0]), port, timeout, local_address, socket_options)

    async def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("webhooks do not go to unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


def guarded_transport(
    *, allow_private: bool, resolve: Resolver = system_resolver
) -> httpx.AsyncHTTPTransport:
    """httpx's transport over a connection pool that connects through GuardedBackend."""
    transport = httpx.AsyncHTTPTransport()
    # httpx builds its pool without a way to pass a network backend: replace it with one that has ours
    # (httpx's certificate store, no retries: the outbox retries on its schedule).
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=httpx.create_ssl_context(),
        retries=0,
        network_backend=GuardedBackend(allow_private=allow_private, resolve=resolve),
    )
    return transport
