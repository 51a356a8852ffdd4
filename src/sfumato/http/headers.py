"""Headers every answer gets on its way out, whichever edge made it:

- security: `nosniff` everywhere (image bytes too); `Cache-Control: no-store` on an answer to a request that
  carried a key or a session, unless the route chose its own (a keyed answer never sits in a shared cache);
  on pages, a Content-Security-Policy that allows no inline script and no framing, and a Referrer-Policy that
  keeps URLs (with their tokens) home;
- the `RateLimit-*` headers a counted request earned (http/access.py leaves them in the request's scope),
  on whatever answers it, routes that build their own response included."""

from starlette.types import Message, Scope, Send

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
# Swagger UI sets style attributes as it renders: its page alone allows inline styles, never scripts.
DOCS_CSP = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")

EVERYWHERE = [(b"x-content-type-options", b"nosniff")]
CREDENTIALS = (b"authorization", b"x-api-key", b"api-key", b"cookie")
KEYED = [(b"cache-control", b"no-store")]
PAGES = [
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
]

RATE_LIMIT_STATE = "sfumato.rate_limit"  # where a counted request's RateLimit-* headers wait for the answer


def keep_rate_headers(scope: Scope, headers: dict[str, str]) -> None:
    scope.setdefault("state", {})[RATE_LIMIT_STATE] = headers


def with_answer_headers(scope: Scope, send: Send) -> Send:
    """`send`, adding to the answer's start the headers above that it does not set itself."""
    keyed = any(name in CREDENTIALS for name, _ in scope["headers"])
    docs = scope["path"] == "/docs"

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            present = {name.lower() for name, _ in headers}
            extra = [*EVERYWHERE, *(KEYED if keyed else [])]
            content_type = next((value for name, value in headers if name.lower() == b"content-type"), b"")
            if content_type.startswith(b"text/html"):
                extra += [*PAGES, (b"content-security-policy", (DOCS_CSP if docs else CSP).encode())]
            if window := scope.get("state", {}).get(RATE_LIMIT_STATE):
                extra += [(name.lower().encode(), value.encode()) for name, value in window.items()]
            headers += [(name, value) for name, value in extra if name not in present]
            message = {**message, "headers": headers}
        await send(message)

    return sending
