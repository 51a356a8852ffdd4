"""Security headers on every answer: `nosniff` everywhere (image bytes too); `Cache-Control: no-store` on
an answer to a request that carried a key or a session, unless the route chose its own (a keyed answer
never sits in a shared cache); on pages, a Content-Security-Policy that allows no inline script and no
framing, and a Referrer-Policy that keeps URLs (with their tokens) home."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

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


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        docs = scope["path"] == "/docs"
        keyed = any(name in CREDENTIALS for name, _ in scope["headers"])

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                extra = [*EVERYWHERE, *(KEYED if keyed else [])]
                content_type = dict(headers).get(b"content-type", b"")
                if content_type.startswith(b"text/html"):
                    extra += [*PAGES, (b"content-security-policy", (DOCS_CSP if docs else CSP).encode())]
                headers += [(name, value) for name, value in extra if name not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)
