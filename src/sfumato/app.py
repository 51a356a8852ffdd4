"""create_app(): one app for both HTTP edges, the API (programs) and the dashboard (people), on the HTTP
kernel they share (sfumato/http/). Nothing is built at import; the lifespan builds the API process's
composition root (sfumato/roots/api.py) and puts it on `app.state.root`, where each route's dependency
finds the one part it needs."""

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
from sfumato.api import install as api
from sfumato.config import Settings
from sfumato.http import errors
from sfumato.http.bodies import BodyLimit
from sfumato.http.gate import Gate
from sfumato.http.hosts import allowed_hosts
from sfumato.roots.api import ApiRoot, build_api_root
from sfumato.services.startup_heap import freeze_once_started
from sfumato.web import install as web

log = logging.getLogger(__name__)

# The routes whose bodies may carry pictures (docs/api.md §11): an image and a mask, as base64 in JSON or
# as files in multipart, beside the usual fields.
IMAGE_ROUTES = re.compile(
    r"/v1/jobs|/v1/images/imagine|/api/v1/image|/v1/images/(edits|variations)"
    r"|/openai/deployments/[^/]+/images/edits|/sdapi/v1/img2img|/v1/credentials/verify"
)


# The routes that take a LoRA file (docs/api.md §16): the API's upload and the dashboard's.
LORA_ROUTES = re.compile(r"/v1/loras|/loras")


def image_body_bytes(settings: Settings) -> int:
    return settings.max_body_bytes + 2 * math.ceil(settings.max_input_bytes * 4 / 3)  # two, in base64


def create_app(
    settings: Settings | None = None,
    *,
    with_worker: bool = True,
    root_factory: Callable[[], ApiRoot] | None = None,
    freeze_heap: bool = False,
) -> FastAPI:
    """The API and the dashboard; with `with_worker`, a worker thread in the same process generates the
    images. With `freeze_heap` (`sfumato serve`), what the process made while starting is frozen once its
    model is loaded (services/startup_heap.py)."""
    settings = settings or Settings()
    factory = root_factory or partial(build_api_root, settings, worker=with_worker)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        root = await anyio.to_thread.run_sync(factory)  # connects and migrates: blocking
        app.state.root = root
        if settings.a1111_anonymous_key:
            log.warning(
                "SFUMATO_A1111_ANONYMOUS_KEY is set: AUTOMATIC1111 requests that send no key act as key %s, "
                "with its plan, its quota and its images",
                settings.a1111_anonymous_key,
            )
        root.start()
        background = root.background()
        if freeze_heap:
            background.append(freeze_once_started(root.worker))
        tasks = [asyncio.create_task(work) for work in background]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with suppress(asyncio.CancelledError):
                    await task
            await anyio.to_thread.run_sync(root.close)

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
    errors.install(app, page_errors=web.page_errors)
    hosts = allowed_hosts(
        settings.allowed_hosts, bound=settings.host, public_base_url=settings.public_base_url
    )
    bodies = BodyLimit(
        settings.max_body_bytes,
        (IMAGE_ROUTES, image_body_bytes(settings)),
        (LORA_ROUTES, settings.max_body_bytes + settings.lora_max_bytes),
    )
    app.add_middleware(Gate, hosts=hosts, bodies=bodies)
    api.install(app)
    web.install(app)
    return app
