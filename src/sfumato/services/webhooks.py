"""The webhook dispatcher (docs/webhooks.md): sends what the outbox holds, signed, and retries for a day.

One runs in each API process (`sfumato serve`), on its event loop. An attempt succeeds on a 2xx; a
410 stops the delivery for good; anything else (another status, a timeout, a refused connection, an
address the guard refuses) is retried after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h, with the
same `webhook-id` and body every time, then the delivery is marked failed. Redirects are not
followed. Deliveries live in the database, so they survive a restart.
"""

import asyncio
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import httpx

from sfumato import __version__
from sfumato.db.outbox import DELIVERED, FAILED, GONE, PENDING, Due, WebhookOutbox
from sfumato.domain.clock import Clock
from sfumato.services.metrics import Metrics
from sfumato.webhooks.signing import signed_headers
from sfumato.webhooks.transport import guarded_transport

log = logging.getLogger(__name__)

SCHEDULE = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
Render = Callable[[str, str], dict[str, Any] | None]  # (job id, key id) -> the Job object, or None if gone


class WebhookDispatcher:
    def __init__(
        self,
        outbox: WebhookOutbox,
        clock: Clock,
        *,
        render: Render,
        allow_private: bool,
        poll_seconds: float = 1.0,
        timeout_seconds: float = 10.0,
        batch: int = 16,
        transport: httpx.AsyncBaseTransport | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.outbox = outbox
        self.metrics = metrics or Metrics()
        self.clock = clock
        self.render = render
        self.poll_seconds = poll_seconds
        self.batch = batch
        self.client = httpx.AsyncClient(
            transport=transport or guarded_transport(allow_private=allow_private),
            timeout=timeout_seconds,
            follow_redirects=False,
            headers={"user-agent": f"Sfumato-Webhooks/{__version__}", "content-type": "application/json"},
        )

    async def run(self) -> None:
        """Deliver until canceled; a database away for a moment is waited out."""
        try:
            while True:
                try:
                    due = await anyio.to_thread.run_sync(self.outbox.claim, self.batch)
                except Exception:
                    log.exception("webhooks: cannot reach the outbox")
                    due = []
                if not due:
                    await asyncio.sleep(self.poll_seconds)
                    continue
                await asyncio.gather(*(self.deliver(delivery) for delivery in due))
        finally:
            await self.client.aclose()

    async def deliver(self, due: Due) -> str:
        """One attempt; returns the delivery's status after it."""
        body = due.body
        if body is None:  # the first attempt fixes the body every later one sends
            data = await anyio.to_thread.run_sync(self.render, due.job_id, due.key_id)
            if data is None:  # the job was deleted since it ended
                data = {"id": due.job_id, "object": "job", "status": due.event.removeprefix("job.")}
            event = {"type": due.event, "timestamp": _iso(due.created_at), "data": data}
            body = json.dumps(event, separators=(",", ":"))
            await anyio.to_thread.run_sync(self.outbox.set_body, due.id, body)
        # Signed with the wall clock: receivers compare webhook-timestamp with theirs.
        headers = signed_headers(due.secret, due.id, datetime.now(UTC), body)
        attempts = due.attempts + 1
        http_status: int | None = None
        try:
            response = await self.client.post(due.url, content=body, headers=headers)
            http_status = response.status_code
            error = None if response.is_success else f"HTTP {http_status}"
        except httpx.HTTPError as failure:
            error = f"{type(failure).__name__}: {failure}"[:500]
        if error is None:
            status, retry_at = DELIVERED, None
        elif http_status == 410:
            status, retry_at = GONE, None  # the receiver asks us to stop
        elif attempts > len(SCHEDULE):
            status, retry_at = FAILED, None
        else:
            status, retry_at = PENDING, self.clock.now() + SCHEDULE[attempts - 1]
        if error is not None:
            log.warning("webhooks: %s to %s, attempt %d: %s", due.id, due.url, attempts, error)
        await anyio.to_thread.run_sync(
            lambda: self.outbox.settle(
                due.id,
                status=status,
                attempts=attempts,
                http_status=http_status,
                error=error,
                retry_at=retry_at,
            )
        )
        self.metrics.webhooks.labels(status).inc()
        return status


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
