"""create_app(): the FastAPI application. Nothing is built at import; the lifespan builds the services."""

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from functools import partial
from typing import Any

import anyio
from fastapi import FastAPI

from sfumato import __version__
from sfumato.api import errors
from sfumato.api.deps import RATE_LIMIT_STATE
from sfumato.api.middleware import BodySizeLimit, RateLimitHeaders
from sfumato.api.openapi import build_openapi
from sfumato.api.routes import (
    account,
    catalog,
    generation,
    health,
    images,
    job_style,
    openai_images,
    public,
    sync_style,
    webhooks,
)
from sfumato.api.schemas import JobPublic
from sfumato.config import Settings
from sfumato.domain.errors import NotFound
from sfumato.services.container import Services, build_services
from sfumato.services.webhooks import WebhookDispatcher

log = logging.getLogger(__name__)


def webhook_dispatcher(services: Services) -> WebhookDispatcher:
    """The dispatcher of this API process; it renders each event's Job as GET /v1/jobs/{id} shows it."""
    settings = services.settings
    base_url = settings.public_base_url or f"http://{settings.host}:{settings.port}"

    def render(job_id: str, key_id: str) -> dict[str, Any] | None:
        try:
            view = services.generation.view(key_id, job_id)
        except NotFound:
            return None
        return JobPublic.of(view, base_url).model_dump(mode="json")

    return WebhookDispatcher(
        services.outbox,
        services.clock,
        render=render,
        allow_private=settings.webhooks_allow_private,
        poll_seconds=settings.poll_seconds,
        metrics=services.metrics,
    )


async def sweep_forever(services: Services) -> None:
    """Delete expired images every SFUMATO_SWEEP_SECONDS, the first time at start; every API process
    does it (services.retention explains why that is safe)."""
    while True:
        try:
            await anyio.to_thread.run_sync(services.retention.sweep)
        except Exception:
            log.exception("retention sweep failed; trying again at the next one")
        await asyncio.sleep(services.settings.sweep_seconds)


def create_app(
    settings: Settings | None = None,
    *,
    with_worker: bool = True,
    services_factory: Callable[[], Services] | None = None,
) -> FastAPI:
    """The API; with `with_worker`, a worker thread in the same process generates the images."""
    settings = settings or Settings()
    factory = services_factory or partial(build_services, settings, with_worker=with_worker)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = await anyio.to_thread.run_sync(factory)  # connects and migrates: blocking
        app.state.services = services
        services.start()
        tasks = [
            asyncio.create_task(webhook_dispatcher(services).run(), name="sfumato-webhooks"),
            asyncio.create_task(sweep_forever(services), name="sfumato-retention"),
        ]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with suppress(asyncio.CancelledError):
                    await task
            await anyio.to_thread.run_sync(services.close)

    app = FastAPI(
        title="Sfumato",
        version=__version__,
        description="Self-hosted image generation. Every route under /v1 needs a key: "
        "`x-api-key: KEY` or `Authorization: Bearer KEY`.",
        lifespan=lifespan,
        redoc_url=None,
        strict_content_type=False,  # a JSON body sent with no Content-Type at all is still read
    )
    errors.install(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(RateLimitHeaders, state_key=RATE_LIMIT_STATE)
    for module in (
        health,
        generation,
        openai_images,
        images,
        catalog,
        public,
        job_style,
        sync_style,
        webhooks,
        account,
    ):
        app.include_router(module.router)
    app.openapi = partial(build_openapi, app)  # type: ignore[method-assign]
    return app
