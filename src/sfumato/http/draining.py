"""`sfumato serve` stopping without loss (docs/deployment.md, "Draining"): uvicorn's server, which on
SIGTERM stops accepting connections and lets running requests finish (within `SFUMATO_DRAIN_SECONDS`, its
`timeout_graceful_shutdown`), and here also, at the signal, ends the waits that would otherwise hold it up:
long polls (`Prefer: wait`) answer the job as it stands, event streams end with a reconnectable close, and
an embedded worker claims no more and drains its batch. The process then exits 0: stopped as asked."""

import asyncio
import signal
import socket
from types import FrameType

import uvicorn
from fastapi import FastAPI


def _taken(signum: int, frame: FrameType | None) -> None:
    """uvicorn sends itself the signal again after its graceful shutdown; by then it has been dealt with."""


class DrainingServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, app: FastAPI, *, drain_seconds: float) -> None:
        super().__init__(config)
        self.application = app
        self.drain_seconds = drain_seconds
        self._loop: asyncio.AbstractEventLoop | None = None

    def run(self, sockets: list[socket.socket] | None = None) -> None:
        signal.signal(signal.SIGTERM, _taken)  # the handler uvicorn restores, then calls: exit 0
        super().run(sockets)

    async def serve(self, sockets: list[socket.socket] | None = None) -> None:
        self._loop = asyncio.get_running_loop()
        await super().serve(sockets)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        first = not self.should_exit
        super().handle_exit(sig, frame)
        if first and self._loop is not None:  # a signal handler: the drain itself runs on the loop
            self._loop.call_soon_threadsafe(self._drain)

    def _drain(self) -> None:
        root = getattr(self.application.state, "root", None)
        if root is None:  # still starting: nothing waits yet
            return
        root.events.drain()
        if root.worker is not None:
            root.worker.drain(self.drain_seconds)
