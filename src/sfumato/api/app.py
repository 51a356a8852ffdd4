"""create_app(): the FastAPI application. Nothing is built at import; the lifespan builds the services."""

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from functools import partial

import anyio
from fastapi import FastAPI

from sfumato import __version__
from sfumato.api import errors
from sfumato.api.middleware import BodySizeLimit
from sfumato.api.openapi import build_openapi
from sfumato.api.routes import (
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
from sfumato.config import Settings
from sfumato.services.container import Services, build_services

log = logging.getLogger(__name__)


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
        if services.worker is not None:
            services.worker.start()
        try:
            yield
        finally:
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
    ):
        app.include_router(module.router)
    app.openapi = partial(build_openapi, app)  # type: ignore[method-assign]
    return app
