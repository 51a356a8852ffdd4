"""create_app(): the FastAPI application. Nothing is built at import; the lifespan builds the services."""

import asyncio
import logging
import math
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from functools import partial

import anyio
from fastapi import FastAPI

from sfumato import __version__
from sfumato.api import errors
from sfumato.api.deps import RATE_LIMIT_STATE
from sfumato.api.dialects import a1111, job_style, openai, sync_style
from sfumato.api.middleware import AllowedHosts, BodySizeLimit, RateLimitHeaders, TextGuard, allowed_hosts
from sfumato.api.openapi import build_openapi
from sfumato.api.routes import (
    account,
    catalog,
    credentials,
    events,
    generation,
    health,
    images,
    public,
    webhooks,
)
from sfumato.api.schemas import job_json
from sfumato.config import Settings
from sfumato.services.container import Services, build_services
from sfumato.services.heap import freeze_once_started
from sfumato.web import install as web
from sfumato.web.headers import SecurityHeaders

log = logging.getLogger(__name__)

# The routes whose bodies may carry pictures (docs/api.md §11): an image and a mask, as base64 in JSON or
# as files in multipart, beside the usual fields.
IMAGE_ROUTES = re.compile(
    r"/v1/jobs|/v1/images/imagine|/api/v1/image|/v1/images/(edits|variations)"
    r"|/openai/deployments/[^/]+/images/edits|/sdapi/v1/img2img|/v1/credentials/verify"
)


def image_body_bytes(settings: Settings) -> int:
    return settings.max_body_bytes + 2 * math.ceil(settings.max_input_bytes * 4 / 3)  # two, in base64


def create_app(
    settings: Settings | None = None,
    *,
    with_worker: bool = True,
    services_factory: Callable[[], Services] | None = None,
    freeze_heap: bool = False,
) -> FastAPI:
    """The API; with `with_worker`, a worker thread in the same process generates the images. With
    `freeze_heap` (`sfumato serve`), what the process made while starting is frozen once its model is loaded
    (services/heap.py)."""
    settings = settings or Settings()
    factory = services_factory or partial(
        build_services, settings, with_worker=with_worker, job_json=job_json
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = await anyio.to_thread.run_sync(factory)  # connects and migrates: blocking
        app.state.services = services
        if settings.a1111_anonymous_key:
            log.warning(
                "SFUMATO_A1111_ANONYMOUS_KEY is set: AUTOMATIC1111 requests that send no key act as key %s, "
                "with its plan, its quota and its images",
                settings.a1111_anonymous_key,
            )
        services.start()
        background = services.background()
        if freeze_heap:
            background.append(freeze_once_started(services.worker))
        tasks = [asyncio.create_task(work) for work in background]
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
        docs_url=None,  # the dashboard serves /docs, from the package's own Swagger UI
        redoc_url=None,
        strict_content_type=False,  # a JSON body sent with no Content-Type at all is still read
    )
    errors.install(app)
    app.add_middleware(TextGuard)  # inside the size limit: it reads only what the limit let through
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_body_bytes,
        larger=(IMAGE_ROUTES, image_body_bytes(settings)),
    )
    app.add_middleware(RateLimitHeaders, state_key=RATE_LIMIT_STATE)
    app.add_middleware(
        AllowedHosts,
        hosts=allowed_hosts(
            settings.allowed_hosts, bound=settings.host, public_base_url=settings.public_base_url
        ),
    )
    app.add_middleware(SecurityHeaders)
    for router in (
        health.router,
        generation.router,
        events.router,
        openai.router,
        images.router,
        catalog.router,
        public.router,
        job_style.router,
        sync_style.router,
        a1111.router,
        webhooks.router,
        account.router,
        credentials.router,
    ):
        app.include_router(router)
    web.install(app)
    app.openapi = partial(build_openapi, app)  # type: ignore[method-assign]
    return app
