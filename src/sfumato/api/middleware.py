"""Refuses request bodies over the limit (413) before they are read into memory, and, before any route sees
them, text that cannot be stored, numbers JSON has not and nesting past 32 levels (400)."""

import re
from urllib.parse import parse_qsl, urlsplit

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sfumato.api.errors import envelope, error_response
from sfumato.domain import bodies, text
from sfumato.domain.errors import InvalidParameter

TOO_LARGE = "the request body is too large"


class BodySizeLimit:
    """`max_bytes` for every body; the paths `larger` matches (those that take images) allow its bytes."""

    def __init__(
        self, app: ASGIApp, *, max_bytes: int, larger: tuple[re.Pattern[str], int] | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.larger = larger

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes
        if self.larger and self.larger[0].fullmatch(scope["path"].rstrip("/")):
            limit = self.larger[1]
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            response = JSONResponse(envelope(TOO_LARGE, "invalid_request_error", "payload_too_large"), 413)
            await response(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            # A body sent without Content-Length (chunked) is counted as it arrives.
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(413)
            return message

        await self.app(scope, counted, send)


class RateLimitHeaders:
    """Adds the RateLimit-* headers a generation request earned to whatever answers it (routes that
    build their own JSONResponse included). Pure ASGI: nothing for requests that were not counted."""

    def __init__(self, app: ASGIApp, *, state_key: str) -> None:
        self.app = app
        self.state_key = state_key

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            window = scope.get("state", {}).get(self.state_key)
            if message["type"] == "http.response.start" and window:
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [
                    (name.lower().encode(), value.encode())
                    for name, value in window.items()
                    if name.lower().encode() not in present
                ]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, with_headers)


class TextGuard:
    """400 naming the field for what no route can use (domain.bodies): in a JSON body, text no database can
    hold (a lone UTF-16 surrogate, JSON's `\\ud800`, or a NUL), a number that is not finite (`NaN`,
    `Infinity`, `1e400`) or nesting past 32 levels; a NUL in the path or a query parameter. A JSON body is
    only parsed here when it may hold one of them (bodies.suspect); the body is then replayed."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            _check_target(scope)
        except InvalidParameter as error:
            await error_response(error)(scope, receive, send)
            return
        content_type = dict(scope["headers"]).get(b"content-type", b"").split(b";")[0].strip().lower()
        if content_type and not content_type.endswith(b"json"):
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        while True:
            try:
                message = await receive()
            except HTTPException as error:  # the size limit outside, counting a chunked body as it came
                if error.status_code != 413:
                    raise
                response = JSONResponse(
                    envelope(TOO_LARGE, "invalid_request_error", "payload_too_large"), 413
                )
                await response(scope, receive, send)
                return
            messages.append(message)
            if message["type"] != "http.request" or not message.get("more_body", False):
                break
        body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request")
        if bodies.suspect(body):
            try:
                bodies.check(body)
            except InvalidParameter as error:
                await error_response(error)(scope, receive, send)
                return
        replay = iter(messages)

        async def replayed() -> Message:
            return next(replay, None) or await receive()

        await self.app(scope, replayed, send)


def _check_target(scope: Scope) -> None:
    if "\x00" in scope["path"]:
        raise InvalidParameter("the path contains a NUL character")
    query = scope.get("query_string", b"").decode("latin-1")
    if "%00" in query or "\x00" in query:
        for name, value in parse_qsl(query, keep_blank_values=True):
            text.check({name: value}, "the query")


LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
ANY_HOST_PATHS = ("/healthz", "/readyz", "/metrics")  # probes and scrapers come by address; no URLs in them


def allowed_hosts(listed: str, *, bound: str, public_base_url: str) -> frozenset[str] | None:
    """The Host names answered (lower case, no port), or None for any (`*`). Unset: the loopback names,
    the address the server listens on (unless every address) and the public base URL's host."""
    names = [name.strip().lower() for name in listed.split(",") if name.strip()]
    if "*" in names:
        return None
    if not names:
        names = [*LOOPBACK_NAMES, bound.strip("[]").lower()]
        if public_base_url:
            names.append((urlsplit(public_base_url).hostname or "").lower())
    return frozenset(name.strip("[]") for name in names if name and name not in ("0.0.0.0", "::"))


def host_name(header: str) -> str:
    """A Host header's name: lower case, without its port; an IPv6 address without its brackets."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:].split("]", 1)[0]
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


class AllowedHosts:
    """400 for a Host the operator did not allow: the URLs the service hands out are built from it, so a
    stranger's `Host: attacker.example` must never reach a route."""

    def __init__(self, app: ASGIApp, *, hosts: frozenset[str] | None) -> None:
        self.app = app
        self.hosts = hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.hosts is None or scope["path"] in ANY_HOST_PATHS:
            await self.app(scope, receive, send)
            return
        header = dict(scope["headers"]).get(b"host", b"").decode("latin-1")
        if host_name(header) not in self.hosts:
            error = InvalidParameter(
                "this server does not answer to that host name (SFUMATO_ALLOWED_HOSTS)",
                param="Host",
                code="host_not_allowed",
            )
            await error_response(error)(scope, receive, send)
            return
        await self.app(scope, receive, send)
