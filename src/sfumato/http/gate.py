"""The one middleware in front of every route of both edges, in one pass (each rule in its own module):
the allowed hosts (http/hosts.py), text in the target and the body's size and text (http/bodies.py), and
the headers every answer gets (http/headers.py). One layer instead of one per rule: each ASGI layer costs
every request a call and a wrapped `send` (docs/benchmarks.md, "The API's own cost")."""

from starlette.types import ASGIApp, Receive, Scope, Send

from sfumato.domain.errors import SfumatoError
from sfumato.http.bodies import BodyLimit, checked_text, counted, declared_length, refused_target, too_large
from sfumato.http.errors import error_response
from sfumato.http.headers import with_answer_headers
from sfumato.http.hosts import refused_host


class Gate:
    def __init__(self, app: ASGIApp, *, hosts: frozenset[str] | None, bodies: BodyLimit) -> None:
        self.app = app
        self.hosts = hosts
        self.bodies = bodies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = with_answer_headers(scope, send)
        refusal: SfumatoError | None = refused_host(scope, self.hosts) or refused_target(scope)
        length = declared_length(scope)
        if length != 0 and refusal is None:  # a body: bounded, then its text checked
            limit = self.bodies.of(scope["path"])
            if length is not None and length > limit:
                refusal = too_large()
            else:
                checked = await checked_text(scope, counted(receive, limit))
                if isinstance(checked, Exception):
                    refusal = checked
                else:
                    receive = checked
        if refusal is not None:
            await error_response(refusal)(scope, receive, send)
            return
        await self.app(scope, receive, send)
