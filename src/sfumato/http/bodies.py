"""What a request's target and body may hold before any route reads them:

- a body over the limit is refused (413) before it is read into memory, by its declared length or, sent
  without one (chunked), as it arrives; the paths that take pictures (`larger`) allow more;
- what no route can use is refused (400 naming the field): a NUL in the path or a query parameter; in a JSON
  body (domain.bodies), text no database can hold (a lone UTF-16 surrogate, JSON's `\\ud800`, or a NUL), a
  number that is not finite (`NaN`, `Infinity`, `1e400`) or nesting past 32 levels. A JSON body is parsed here
  only when it may hold one of them (`bodies.suspect`); it is then replayed to the route."""

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl

from starlette.types import Message, Receive, Scope

from sfumato.domain import bodies, text
from sfumato.domain.errors import InvalidParameter, PayloadTooLarge, SfumatoError

TOO_LARGE = "the request body is too large"


@dataclass(frozen=True)
class BodyLimit:
    max_bytes: int
    larger: tuple[re.Pattern[str], int] | None = None  # the paths that take pictures, and their limit

    def of(self, path: str) -> int:
        if self.larger and self.larger[0].fullmatch(path.rstrip("/")):
            return self.larger[1]
        return self.max_bytes


def refused_target(scope: Scope) -> InvalidParameter | None:
    """400 for a NUL in the path or a query parameter."""
    if "\x00" in scope["path"]:
        return InvalidParameter("the path contains a NUL character")
    query = scope.get("query_string", b"").decode("latin-1")
    if "%00" in query or "\x00" in query:
        try:
            for name, value in parse_qsl(query, keep_blank_values=True):
                text.check({name: value}, "the query")
        except InvalidParameter as error:
            return error
    return None


def declared_length(scope: Scope) -> int | None:
    """The body's declared length, 0 for a request without a body, None for one sent chunked."""
    length = b""
    for name, value in scope["headers"]:
        if name == b"content-length":
            length = value
        elif name == b"transfer-encoding":
            return None
    return int(length) if length.isdigit() else 0


def too_large() -> PayloadTooLarge:
    return PayloadTooLarge(TOO_LARGE)


def counted(receive: Receive, limit: int) -> Receive:
    """`receive`, raising PayloadTooLarge (413 wherever it is met) once more than `limit` bytes have come."""
    received = 0

    async def receiving() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise too_large()
        return message

    return receiving


def _json_or_untyped(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"content-type":
            content_type = value.split(b";")[0].strip().lower()
            return not content_type or content_type.endswith(b"json")
    return True


async def checked_text(scope: Scope, receive: Receive) -> Receive | SfumatoError:
    """A JSON (or untyped) body read whole and checked, then replayed; or the error that refuses it."""
    if not _json_or_untyped(scope):
        return receive
    messages: list[Message] = []
    while True:
        try:
            message = await receive()
        except PayloadTooLarge as error:
            return error
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            break
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request")
    if bodies.suspect(body):
        try:
            bodies.check(body)
        except InvalidParameter as error:
            return error
    replay = iter(messages)

    async def replayed() -> Message:
        return next(replay, None) or await receive()

    return replayed
