"""The HTTP server's own bounds, before any request reaches the app: a request line and headers of at most
`max_head_bytes` (431 past it), sent within `head_seconds`; a body within `body_seconds` of its headers
(408 when a client stalls before its headers, the connection closed when it stalls in its body); an idle
connection between requests is closed, silently, after the keep-alive (`SFUMATO_KEEP_ALIVE_SECONDS`). Without
these, one client holding 300 connections open a byte at a time, or sending a 256 MiB header, ties up the
server for good. A subclass of uvicorn's httptools protocol: the parser stays uvicorn's."""

import asyncio
import json

import httptools
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from sfumato.http.errors import envelope


def response_bytes(status: int, message: str, code: str) -> bytes:
    body = json.dumps(envelope(message, "invalid_request_error", code)).encode()
    head = [
        STATUS_LINE[status],
        b"content-type: application/json\r\n",
        b"content-length: " + str(len(body)).encode() + b"\r\n",
        b"x-content-type-options: nosniff\r\n",
        b"connection: close\r\n\r\n",
    ]
    return b"".join(head) + body


class HeadTooLarge(Exception):
    pass


class BoundedHttpProtocol(HttpToolsProtocol):
    max_head_bytes = 64 * 1024
    head_seconds = 10.0
    body_seconds = 60.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._head_bytes = 0  # bytes received while the head is incomplete (a head sent in pieces)
        self._parsed = 0  # bytes of the head the parser has handed over (a head sent at once)
        self._head_done = False
        self._reading = True  # a request is being read (not yet whole)
        self._deadline: asyncio.TimerHandle | None = None
        self._arm(self.head_seconds)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, self._too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _refuse(self, status: int, message: str, code: str) -> None:
        self._disarm()
        if not self.transport.is_closing():
            self.transport.write(response_bytes(status, message, code))
            self.transport.close()

    def _too_slow(self) -> None:
        self._deadline = None
        if not self._reading or self.transport.is_closing():
            return
        if self._head_done:  # the app has the request and waits for its body: ending it is all there is
            self.transport.close()
            return
        self._refuse(408, f"the request did not arrive within {self.head_seconds:g} s", "request_timeout")

    def _head_too_large(self) -> None:
        message = f"the request line and headers are larger than {self.max_head_bytes} bytes"
        self._refuse(431, message, "headers_too_large")

    def data_received(self, data: bytes) -> None:
        # uvicorn's own, with the head's bounds: a parser error caused by a head too large is 431, not 400.
        self._unset_keepalive_if_required()
        if not self._head_done:
            self._head_bytes += len(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
        except httptools.HttpParserError as error:
            if isinstance(error.__context__, HeadTooLarge):
                self._head_too_large()
            else:
                self.logger.warning("Invalid HTTP request received.")
                self.send_400_response("Invalid HTTP request received.")
            return
        if not self._head_done and self._head_bytes > self.max_head_bytes:
            self._head_too_large()

    def _count(self, size: int) -> None:
        self._parsed += size
        if self._parsed > self.max_head_bytes:
            raise HeadTooLarge

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + 4)
        super().on_header(name, value)

    def on_message_begin(self) -> None:
        self._reading = True
        self._parsed = 0
        if self._deadline is None:  # the next request on a kept-alive connection, or a pipelined one
            self._arm(self.head_seconds)
        super().on_message_begin()

    def on_headers_complete(self) -> None:
        self._head_done = True
        self._arm(self.body_seconds)
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._disarm()
        self._reading = False
        self._head_done = False  # what arrives next is the next request's head
        self._head_bytes = 0
        super().on_message_complete()

    def on_response_complete(self) -> None:
        # An idle keep-alive connection is uvicorn's keep-alive timer's to close, silently; the next
        # request's head deadline starts at its first byte (on_message_begin).
        super().on_response_complete()


def bounded_protocol(
    *, max_head_bytes: int, head_seconds: float, body_seconds: float
) -> type[HttpToolsProtocol]:
    """The protocol class uvicorn is given (`http=`), with the operator's bounds."""
    return type(
        "BoundedHttpProtocol",
        (BoundedHttpProtocol,),
        {"max_head_bytes": max_head_bytes, "head_seconds": head_seconds, "body_seconds": body_seconds},
    )
